-- KEYS stream, meta. ARGV afterId, maxBytes.
-- For followers, who track entry ids rather than byte offsets: {uid, lastId, bytes, count} for
-- the entries after afterId; nil when the topic is gone.
local uid = redis.call('HGET', KEYS[2], 'uid')
if not uid then return nil end
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
return {uid, lastId, table.concat(parts), count}
