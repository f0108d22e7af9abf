-- KEYS src stream, meta, idx, delayed, due, dst stream, meta, idx, delayed, due, src dir, dst
-- dir, src moved, src dir attrs, dst dir attrs.
-- ARGV src name, dst name, dst path, seconds the forwarding address is kept, channel, src dir
-- path, dst dir path (both directories are announced on `channel`).
-- Standalone Redis only: moves a topic atomically, replacing a topic at the destination, and
-- leaves a forwarding address (topic uid -> new path) at the old name, by which followers on
-- other mounts find the topic again. The topic's ctime and both directories' mtime and ctime
-- are now, as rename(2) leaves them.
local uid = redis.call('HGET', KEYS[2], 'uid')
if not uid then return redis.error_reply('ENOENT no such topic') end
redis.call('DEL', KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10])
for i = 1, 5 do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('RENAME', KEYS[i], KEYS[i + 5]) end
end
redis.call('HDEL', KEYS[11], ARGV[1])
redis.call('HSET', KEYS[12], ARGV[2], 'f')
redis.call('HSET', KEYS[13], uid, ARGV[3])
redis.call('EXPIRE', KEYS[13], ARGV[4])
local now = now_ms()
redis.call('HSET', KEYS[7], 'ctime', now)
redis.call('HSET', KEYS[14], 'mtime', now, 'ctime', now)
redis.call('HSET', KEYS[15], 'mtime', now, 'ctime', now)
announce_directory(ARGV[5], ARGV[6])
announce_directory(ARGV[5], ARGV[7])
return 1
