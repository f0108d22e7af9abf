-- KEYS src stream, meta, idx, dst stream, meta, idx, src dir, dst dir, src moved, src dir
-- attrs, dst dir attrs.
-- ARGV src name, dst name, dst path, seconds the forwarding address is kept, channel, src dir
-- path, dst dir path (both directories are announced on `channel`).
-- Standalone Redis only: moves a topic atomically, replacing a topic at the destination, and
-- leaves a forwarding address (topic uid -> new path) at the old name, by which followers on
-- other mounts find the topic again. The topic's ctime and both directories' mtime and ctime
-- are now, as rename(2) leaves them.
local uid = redis.call('HGET', KEYS[2], 'uid')
if not uid then return redis.error_reply('ENOENT no such topic') end
redis.call('DEL', KEYS[4], KEYS[5], KEYS[6])
for i = 1, 3 do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('RENAME', KEYS[i], KEYS[i + 3]) end
end
redis.call('HDEL', KEYS[7], ARGV[1])
redis.call('HSET', KEYS[8], ARGV[2], 'f')
redis.call('HSET', KEYS[9], uid, ARGV[3])
redis.call('EXPIRE', KEYS[9], ARGV[4])
local now = now_ms()
redis.call('HSET', KEYS[5], 'ctime', now)
redis.call('HSET', KEYS[10], 'mtime', now, 'ctime', now)
redis.call('HSET', KEYS[11], 'mtime', now, 'ctime', now)
announce_directory(ARGV[5], ARGV[6])
announce_directory(ARGV[5], ARGV[7])
return 1
