-- KEYS stream, meta, idx. ARGV indexEvery, batch.
-- Accounts up to `batch` entries that other clients added; starts over when entries were
-- deleted. Returns 1 when up to date, 0 if there is more to account.
local m = redis.call('HMGET', KEYS[2], 'uid', 'bytes', 'count', 'last', 'mark', 'head')
if not m[1] then return 1 end
local bytes, count, last, mark = tonumber(m[2]), tonumber(m[3]), m[4], tonumber(m[5])
local head = tonumber(m[6]) or 0
local every, batch = tonumber(ARGV[1]), tonumber(ARGV[2])
local entries = redis.call('XRANGE', KEYS[1], after(last), '+', 'COUNT', batch)
for _, e in ipairs(entries) do
  if head + bytes >= mark then
    redis.call('ZADD', KEYS[3], head + bytes, e[1])
    mark = head + bytes + every
  end
  bytes = bytes + entry_size(e[2])
  count = count + 1
  last = e[1]
end
local done = #entries < batch
if done and redis.call('XLEN', KEYS[1]) ~= count then
  redis.call('DEL', KEYS[3])
  bytes, count, last, mark, head = 0, 0, '0-0', 0, 0
  done = false
end
redis.call('HSET', KEYS[2], 'bytes', bytes, 'count', count, 'last', last, 'mark', mark, 'head', head)
if last ~= '0-0' then redis.call('HSET', KEYS[2], 'mtime', id_ms(last)) end
if done then return 1 end
return 0
