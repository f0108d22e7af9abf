-- KEYS stream, meta, idx. ARGV uid, indexEvery, flags ("l" line / "r" verbatim per message),
-- notify channel ("" for none), payload...
-- Appends every payload in one atomic step, then announces the stream on the channel.
-- Returns {bytes, lastId}. Errors: ESTALE when the topic the caller opened is gone,
-- UNRECONCILED when another client changed the stream (nothing applied).
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
    id = redis.call('XADD', KEYS[1], '*', PAYLOAD_FIELD, p, VERBATIM_FIELD, '1')
    size = #p
  else
    id = redis.call('XADD', KEYS[1], '*', PAYLOAD_FIELD, p)
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
