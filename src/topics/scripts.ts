/**
 * Lua scripts, each touching the keys of one topic only (one hash slot), except `rename`,
 * which is used on standalone Redis alone. Sizes and rendering follow src/framing/entry.ts
 * exactly (the contract suite compares them).
 */

const LUA_HELPERS = `
-- The payload (field data) and whether it renders without a newline (field raw).
local function shape(fields)
  local data, raw = nil, false
  for i = 1, #fields, 2 do
    local f = fields[i]
    if data == nil and f == 'data' then data = fields[i + 1]
    elseif f == 'raw' then raw = true end
  end
  return data, raw
end
local function entry_size(fields)
  local data, raw = shape(fields)
  if data ~= nil then
    if raw then return #data end
    return #data + 1
  end
  local n = 0
  for i = 1, #fields, 2 do n = n + #fields[i] + 1 + #fields[i + 1] + 1 end
  if n < 1 then n = 1 end
  return n
end
-- Where an XRANGE starts to get the entries after \`last\` ('0-0': from the first entry).
local function after(last)
  if last == '0-0' then return '-' end
  return '(' .. last
end
-- Appends an entry's rendering to parts at index n + 1; returns the new n and the size. A
-- payload and its newline go in as two parts, never joined: every string Lua makes is hashed
-- and interned, and joining them made a page of 50-byte lines take 15% longer.
local function emit(parts, n, fields)
  local data, raw = nil, false
  -- Entries written by dnpipes (the one field data) skip shape(): 8% of a page's time.
  if #fields == 2 and fields[1] == 'data' then
    data = fields[2]
  else
    data, raw = shape(fields)
  end
  if data == nil then
    local line = {}
    for i = 1, #fields, 2 do line[#line + 1] = fields[i] .. '=' .. fields[i + 1] end
    local rendered = table.concat(line, ' ') .. '\\n'
    parts[n + 1] = rendered
    return n + 1, #rendered
  end
  parts[n + 1] = data
  if raw then return n + 1, #data end
  parts[n + 2] = '\\n'
  return n + 2, #data + 1
end
-- Whether another client added or removed entries since the counters were last brought up to
-- date (they count \`count\` entries, the newest \`last\`). Ids only grow, so an added entry lies
-- after \`last\`. Comparing \`last\` with the newest id instead fetched the whole newest entry,
-- which doubled the time of an append after a 128 KiB one.
local function changed_since(stream, last, count)
  if redis.call('XLEN', stream) ~= count then return true end
  return #redis.call('XRANGE', stream, after(last), '+', 'COUNT', 1) > 0
end
local function last_id(stream)
  local top = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)
  if top[1] then return top[1][1] end
  return '0-0'
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function id_ms(id)
  return string.match(id, '^(%d+)')
end
`

export interface ScriptSource {
  keys: number
  lua: string
}

/** KEYS stream, meta. ARGV uid. Returns 1 when created, 0 when the topic already existed. */
const create: ScriptSource = {
  keys: 2,
  lua: LUA_HELPERS + `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local now = now_ms()
redis.call('HSET', KEYS[2], 'uid', ARGV[1], 'bytes', 0, 'count', 0, 'last', '0-0', 'mark', 0,
  'gen', 0, 'mtime', now, 'ctime', now)
return 1
`
}

/**
 * KEYS stream, meta. Returns nil for no topic, else
 * {uid, bytes, count, mtime, ctime, gen, fresh, lastId}; fresh is 0 when entries were added or
 * removed by another client since the counters were last brought up to date.
 */
const stat: ScriptSource = {
  keys: 2,
  lua: LUA_HELPERS + `
local m = redis.call('HMGET', KEYS[2], 'uid', 'bytes', 'count', 'mtime', 'ctime', 'gen', 'last')
if not m[1] then return nil end
local fresh, last = 1, m[7]
if changed_since(KEYS[1], m[7], tonumber(m[3])) then fresh, last = 0, last_id(KEYS[1]) end
return {m[1], m[2], m[3], m[4], m[5], m[6], fresh, last}
`
}

/**
 * KEYS stream, meta, idx. ARGV uid, indexEvery, flags ("l" line / "r" verbatim per message),
 * notify channel ("" for none), payload... Appends every payload in one atomic step, then
 * announces the stream on the channel. Errors: ESTALE when the topic the caller opened is gone,
 * UNRECONCILED when another client changed the stream (nothing applied).
 */
const append: ScriptSource = {
  keys: 3,
  lua: LUA_HELPERS + `
local m = redis.call('HMGET', KEYS[2], 'uid', 'bytes', 'count', 'last', 'mark')
if m[1] ~= ARGV[1] then return redis.error_reply('ESTALE the topic was removed after it was opened') end
if changed_since(KEYS[1], m[4], tonumber(m[3])) then return redis.error_reply('UNRECONCILED another client changed the stream') end
local every = tonumber(ARGV[2])
local flags = ARGV[3]
local bytes, count, mark = tonumber(m[2]), tonumber(m[3]), tonumber(m[5])
local id = m[4]
for i = 5, #ARGV do
  local p = ARGV[i]
  local size
  if string.byte(flags, i - 4) == 114 then
    id = redis.call('XADD', KEYS[1], '*', 'data', p, 'raw', '1')
    size = #p
  else
    id = redis.call('XADD', KEYS[1], '*', 'data', p)
    size = #p + 1
  end
  if bytes >= mark then
    redis.call('ZADD', KEYS[3], bytes, id)
    mark = bytes + every
  end
  bytes = bytes + size
end
count = count + #ARGV - 4
redis.call('HSET', KEYS[2], 'bytes', bytes, 'count', count, 'last', id, 'mark', mark, 'mtime', id_ms(id))
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[4], KEYS[1]) end
return {tostring(bytes), id}
`
}

/**
 * KEYS stream, meta, idx. ARGV indexEvery, batch. Accounts up to `batch` entries that other
 * clients added; starts over when entries were deleted. Returns 1 when up to date, 0 if more.
 */
const reconcile: ScriptSource = {
  keys: 3,
  lua: LUA_HELPERS + `
local m = redis.call('HMGET', KEYS[2], 'uid', 'bytes', 'count', 'last', 'mark')
if not m[1] then return 1 end
local bytes, count, last, mark = tonumber(m[2]), tonumber(m[3]), m[4], tonumber(m[5])
local every, batch = tonumber(ARGV[1]), tonumber(ARGV[2])
local entries = redis.call('XRANGE', KEYS[1], after(last), '+', 'COUNT', batch)
for _, e in ipairs(entries) do
  if bytes >= mark then
    redis.call('ZADD', KEYS[3], bytes, e[1])
    mark = bytes + every
  end
  bytes = bytes + entry_size(e[2])
  count = count + 1
  last = e[1]
end
local done = #entries < batch
if done and redis.call('XLEN', KEYS[1]) ~= count then
  redis.call('DEL', KEYS[3])
  bytes, count, last, mark = 0, 0, '0-0', 0
  done = false
end
redis.call('HSET', KEYS[2], 'bytes', bytes, 'count', count, 'last', last, 'mark', mark)
if last ~= '0-0' then redis.call('HSET', KEYS[2], 'mtime', id_ms(last)) end
if done then return 1 end
return 0
`
}

/**
 * KEYS stream, meta, idx. ARGV gen, offset, afterId, afterPos, maxBytes, indexEvery, rangedBytes.
 * Returns {gen, firstPos, lastId, bytes, count, nextId, nextPos, uid}: the rendered bytes of `count`
 * entries that reach into [offset, offset + maxBytes), starting at byte firstPos, rendered here
 * so that one bulk reply carries a whole page; nil when the topic is gone. nextId/nextPos name
 * the last indexed entry within rangedBytes after the page, where a plain XRANGE of the next
 * page can end (see ranged-pages.ts); "" when there is none.
 * When (gen, afterId, afterPos) still describe the stream, the scan continues after afterId
 * (a sequential reader costs no seek); otherwise it starts at the nearest indexed entry.
 */
const read: ScriptSource = {
  keys: 3,
  lua: LUA_HELPERS + `
local m = redis.call('HMGET', KEYS[2], 'uid', 'gen')
if not m[1] then return nil end
local gen = m[2]
local offset, afterPos, maxBytes, every = tonumber(ARGV[2]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local start, pos
if ARGV[1] == gen and ARGV[3] ~= '' and afterPos <= offset and offset - afterPos < every then
  start, pos = '(' .. ARGV[3], afterPos
else
  local hit = redis.call('ZREVRANGEBYSCORE', KEYS[3], offset, '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if hit[1] then start, pos = hit[1], tonumber(hit[2]) else start, pos = '-', 0 end
end
local parts, n, count = {}, 0, 0
local first, lastId = nil, ''
local taken = 0
while taken < maxBytes do
  local page = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', 512)
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
    if taken >= maxBytes then break end
  end
  if #page > 0 then start = '(' .. page[#page][1] end
  if #page < 512 then break end
end
local nextId, nextPos = '', ''
local ranged = tonumber(ARGV[7])
if lastId ~= '' and ranged > 0 then
  local point = redis.call('ZREVRANGEBYSCORE', KEYS[3], pos + ranged, '(' .. pos, 'WITHSCORES', 'LIMIT', 0, 1)
  if point[1] then nextId, nextPos = point[1], point[2] end
end
return {gen, tostring(first or pos), lastId, table.concat(parts), count, nextId, nextPos, m[1]}
`
}

/**
 * KEYS stream, meta. ARGV afterId, maxBytes. For followers, who track entry ids rather than
 * byte offsets: {uid, lastId, bytes, count} for the entries after afterId; nil when the topic is gone.
 */
const follow: ScriptSource = {
  keys: 2,
  lua: LUA_HELPERS + `
local uid = redis.call('HGET', KEYS[2], 'uid')
if not uid then return nil end
local maxBytes = tonumber(ARGV[2])
local parts, n, count = {}, 0, 0
local lastId = ''
local start = after(ARGV[1])
local taken = 0
while taken < maxBytes do
  local page = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', 256)
  for _, e in ipairs(page) do
    local size
    n, size = emit(parts, n, e[2])
    count = count + 1
    taken = taken + size
    lastId = e[1]
    if taken >= maxBytes then break end
  end
  if #page < 256 or taken >= maxBytes then break end
  start = '(' .. lastId
end
return {uid, lastId, table.concat(parts), count}
`
}

/** KEYS stream, meta, idx. Deletes every message; the topic, its ids and its identity stay. */
const reset: ScriptSource = {
  keys: 3,
  lua: LUA_HELPERS + `
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('ENOENT no such topic') end
redis.call('XTRIM', KEYS[1], 'MAXLEN', 0)
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[2], 'bytes', 0, 'count', 0, 'last', '0-0', 'mark', 0, 'mtime', now_ms())
redis.call('HINCRBY', KEYS[2], 'gen', 1)
return 1
`
}

/** KEYS stream, meta, idx. Deletes the topic. Returns 1 if it existed. */
const remove: ScriptSource = {
  keys: 3,
  lua: `
local existed = redis.call('EXISTS', KEYS[2])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return existed
`
}

/**
 * KEYS src stream, meta, idx, dst stream, meta, idx, src dir, dst dir. ARGV src name, dst name.
 * Standalone Redis only: moves a topic atomically, replacing a topic at the destination.
 */
const rename: ScriptSource = {
  keys: 8,
  lua: `
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('ENOENT no such topic') end
redis.call('DEL', KEYS[4], KEYS[5], KEYS[6])
for i = 1, 3 do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('RENAME', KEYS[i], KEYS[i + 3]) end
end
redis.call('HDEL', KEYS[7], ARGV[1])
redis.call('HSET', KEYS[8], ARGV[2], 'f')
return 1
`
}

export const SCRIPTS = { create, stat, append, reconcile, read, follow, reset, remove, rename } as const
export type ScriptName = keyof typeof SCRIPTS
