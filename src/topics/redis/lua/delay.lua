-- KEYS meta. ARGV the topic's delay in ms ('-' to lift it).
-- Sets or lifts the delay every message pushed to the topic waits before it enters (SQS's
-- DelaySeconds); the ctime is now. Errors: ENOENT without a topic.
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('ENOENT no such topic') end
if ARGV[1] == '-' then
  redis.call('HDEL', KEYS[1], 'delay')
else
  redis.call('HSET', KEYS[1], 'delay', ARGV[1])
end
redis.call('HSET', KEYS[1], 'ctime', now_ms())
return 1
