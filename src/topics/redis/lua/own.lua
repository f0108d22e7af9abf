-- KEYS hash: a topic's meta or a directory's attributes. ARGV what, owner, group, mode ('' for
-- each left as it is), channel, path: a directory's change is announced on `channel`.
--   what 'topic': chmod/chown of a topic; returns 0 when there is none.
--   what 'directory': chmod/chown of a directory (whose attributes may not be stored yet).
--   what 'new-directory': the attributes of a directory just made; whatever a directory of
--     that name left behind goes.
-- The ctime is now; a new directory's mtime too.
local now = now_ms()
if ARGV[1] == 'topic' then
  if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
elseif ARGV[1] == 'new-directory' then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'mtime', now)
end
redis.call('HSET', KEYS[1], 'ctime', now)
set_ownership(KEYS[1], ARGV[2], ARGV[3], ARGV[4])
if ARGV[1] ~= 'topic' then announce_directory(ARGV[5], ARGV[6]) end
return 1
