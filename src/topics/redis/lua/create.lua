-- KEYS stream, meta. ARGV uid, owner, group, mode ('' for each not stored).
-- Returns 1 when created, 0 when the topic already existed.
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local now = now_ms()
redis.call('HSET', KEYS[2], 'uid', ARGV[1], 'bytes', 0, 'count', 0, 'last', '0-0', 'mark', 0,
  'gen', 0, 'mtime', now, 'ctime', now)
set_ownership(KEYS[2], ARGV[2], ARGV[3], ARGV[4])
return 1
