-- KEYS stream. ARGV group, idle (ms), the caller's own consumer.
-- Removes what crashed mounts and workers left in `group`: the consumers named as dnpipes names
-- its own (mount@HOST:PID, work@HOST:PID: consumerName and isOurConsumer in
-- src/topics/consumer-names.ts) that are not the caller, hold no message, and have been idle
-- for more than `idle`. Other clients' consumers are never touched. A consumer with nothing
-- pending loses nothing when it goes; Redis makes it again at its next delivery. Returns how
-- many went; 0 without the group or the stream.
local consumers = redis.pcall('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if type(consumers) ~= 'table' or consumers.err then return 0 end
local threshold, self = tonumber(ARGV[2]), ARGV[3]

local function ours(name)
  return string.find(name, '^mount@.*:%d+$') ~= nil or string.find(name, '^work@.*:%d+$') ~= nil
end

local removed = 0
for _, flat in ipairs(consumers) do
  local consumer = {}
  for i = 1, #flat, 2 do consumer[flat[i]] = flat[i + 1] end
  local name = consumer['name']
  -- `idle`: since the consumer's last read or claim; Redis 7.0 counts only those that got a
  -- message, 7.2 every one (and adds `inactive`, which 7.0 lacks).
  if name ~= self and ours(name) and consumer['pending'] == 0 and consumer['idle'] > threshold then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], name)
    removed = removed + 1
  end
end
return removed
