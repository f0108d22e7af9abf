-- KEYS stream, meta, idx, delayed, due. ARGV afterId, maxBytes, indexEvery.
-- For followers, who track entry ids rather than byte offsets: {uid, lastId, bytes, count} for
-- the entries after afterId, once the scheduled messages due by now have entered; with none,
-- also when the next scheduled one is due and the last announcement of one
-- (helpers.lua: schedule_of). nil when the topic is gone.
local uid = redis.call('HGET', KEYS[2], 'uid')
if not uid then return nil end
catch_up(KEYS[1], KEYS[2], KEYS[3], KEYS[4], tonumber(ARGV[3]))
local maxBytes = tonumber(ARGV[2])
local parts, n, count = {}, 0, 0
local lastId = ''
local start = after(ARGV[1])
local taken = 0
while taken < maxBytes do
  local batch = batch_size(maxBytes - taken, count, taken)
  local page = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', batch)
  for _, e in ipairs(page) do
    local size
    n, size = emit(parts, n, e[2])
    count = count + 1
    taken = taken + size
    lastId = e[1]
    if taken >= maxBytes then break end
  end
  if #page < batch or taken >= maxBytes then break end
  start = '(' .. lastId
end
if count > 0 then return {uid, lastId, table.concat(parts), count} end
local due_in, announced = schedule_of(KEYS[2], KEYS[5])
return {uid, lastId, '', 0, due_in, announced}
