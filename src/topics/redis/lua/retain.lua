-- KEYS stream, meta, idx. ARGV the topic's new limits, messages, bytes, seconds (each '' to
-- leave it, '-' to lift it, else the limit), then the mount's default retention (as append.lua).
-- Stores the limits, then trims the topic to what applies now, TRIM_MAX entries at a time.
-- Returns 1 when done, 0 when there is more to trim (call again with the limits left as they
-- are). Errors: ENOENT without a topic, UNRECONCILED when another client changed the stream
-- (the limits are stored; nothing is trimmed).
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('ENOENT no such topic') end
local names = {'retain-messages', 'retain-bytes', 'retain-seconds'}
local changed = false
for i = 1, 3 do
  if ARGV[i] == '-' then
    changed = redis.call('HDEL', KEYS[2], names[i]) == 1 or changed
  elseif ARGV[i] ~= '' then
    redis.call('HSET', KEYS[2], names[i], ARGV[i])
    changed = true
  end
end
if changed then redis.call('HSET', KEYS[2], 'ctime', now_ms()) end
local m = redis.call('HMGET', KEYS[2], 'bytes', 'count', 'last', 'head', names[1], names[2], names[3])
if changed_since(KEYS[1], m[3], tonumber(m[2])) then return redis.error_reply('UNRECONCILED another client changed the stream') end
local max_m, max_b, max_s = limits_of(m[5], m[6], m[7], ARGV[4], ARGV[5], ARGV[6])
if not (max_m or max_b or max_s) then return 1 end
local _, _, _, more = trim(KEYS[1], KEYS[2], KEYS[3], tonumber(m[4]) or 0, tonumber(m[1]), tonumber(m[2]), max_m, max_b, max_s)
if more then return 0 end
return 1
