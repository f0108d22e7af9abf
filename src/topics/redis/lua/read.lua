-- KEYS stream, meta, idx, delayed. ARGV gen, offset, afterId, afterPos, maxBytes, indexEvery, rangedBytes,
-- base.
-- Returns {gen, firstPos, lastId, bytes, count, nextId, nextPos, uid, base}: the rendered bytes
-- of `count` entries that reach into [offset, offset + maxBytes), starting at byte firstPos,
-- rendered here so that one bulk reply carries a whole page; nil when the topic is gone.
-- Offsets are the reader's: `base` bytes after the first entry since the last reset. It is ''
-- for a reader that starts at the oldest entry kept now (the head, which retention moves), and
-- is kept by one that reads on, so that its offsets go on naming the same entries.
-- nextId/nextPos name the last indexed entry within rangedBytes after the page, where a plain
-- XRANGE of the next page can end (see ranged-pages.ts); "" when there is none.
-- When (gen, afterId, afterPos) still describe the stream, the scan continues after afterId
-- (a sequential reader costs no seek); otherwise it starts at the nearest indexed entry. A
-- reader whose next entry was trimmed away gets no entries (end of file): what it read stays
-- one run of consecutive messages.
-- A replay from the start sees the scheduled messages due by now (helpers.lua: catch_up).
if ARGV[3] == '' then catch_up(KEYS[1], KEYS[2], KEYS[3], KEYS[4], tonumber(ARGV[6])) end
local m = redis.call('HMGET', KEYS[2], 'uid', 'gen', 'head')
if not m[1] then return nil end
local gen = m[2]
local head = tonumber(m[3]) or 0
local base = tonumber(ARGV[8])
local reading_on = base ~= nil and ARGV[1] == gen
if not reading_on then base = head end
local offset, afterPos, maxBytes, every = tonumber(ARGV[2]) + base, tonumber(ARGV[4]) + base, tonumber(ARGV[5]), tonumber(ARGV[6])
if offset < head then return {gen, num(offset - base), '', '', 0, '', '', m[1], num(base)} end
local start, pos
if reading_on and ARGV[3] ~= '' and head <= afterPos and afterPos <= offset and offset - afterPos < every then
  start, pos = '(' .. ARGV[3], afterPos
else
  local hit = redis.call('ZREVRANGEBYSCORE', KEYS[3], offset, '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if hit[1] then start, pos = hit[1], tonumber(hit[2]) else start, pos = '-', head end
end
local parts, n, count = {}, 0, 0
local first, lastId = nil, ''
local taken, seen, seen_bytes = 0, 0, 0
while taken < maxBytes do
  local wanted = maxBytes - taken
  if first == nil and offset > pos then wanted = wanted + offset - pos end
  local batch = batch_size(wanted, seen, seen_bytes)
  local page = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', batch)
  for _, e in ipairs(page) do
    local size
    if first == nil then size = entry_size(e[2]) end
    if first ~= nil or pos + size > offset then
      if first == nil then first = pos end
      n, size = emit(parts, n, e[2])
      count = count + 1
      lastId = e[1]
      taken = taken + size
    end
    pos = pos + size
    seen, seen_bytes = seen + 1, seen_bytes + size
    if taken >= maxBytes then break end
  end
  if #page > 0 then start = '(' .. page[#page][1] end
  if #page < batch then break end
end
local nextId, nextPos = '', ''
local ranged = tonumber(ARGV[7])
if lastId ~= '' and ranged > 0 then
  local point = redis.call('ZREVRANGEBYSCORE', KEYS[3], pos + ranged, '(' .. num(pos), 'WITHSCORES', 'LIMIT', 0, 1)
  if point[1] then nextId, nextPos = point[1], num(tonumber(point[2]) - base) end
end
return {gen, num((first or pos) - base), lastId, table.concat(parts), count, nextId, nextPos, m[1], num(base)}
