-- KEYS dir (a directory's listing), attrs (that directory's attributes).
-- ARGV op, name, kind, channel, dir path: op 'set' lists `name` as `kind` ('f' or 'd'), 'add'
-- does so only when nothing is listed by that name, 'drop' unlists it.
-- Returns 1 when the listing changed, and then the directory's mtime and ctime are now, and the
-- directory and the name are announced on `channel` (see announce_directory).
local changed
if ARGV[1] == 'set' then
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
  changed = 1
elseif ARGV[1] == 'add' then
  changed = redis.call('HSETNX', KEYS[1], ARGV[2], ARGV[3])
else
  changed = redis.call('HDEL', KEYS[1], ARGV[2])
end
if changed == 1 then
  local now = now_ms()
  redis.call('HSET', KEYS[2], 'mtime', now, 'ctime', now)
  announce_directory(ARGV[4], ARGV[5])
  announce_directory(ARGV[4], child_path(ARGV[5], ARGV[2]))
end
return changed
