-- KEYS stream, meta.
-- Returns nil for no topic, else {uid, bytes, count, mtime, ctime, gen, fresh, lastId}; fresh
-- is 0 when entries were added or removed by another client since the counters were last
-- brought up to date.
local m = redis.call('HMGET', KEYS[2], 'uid', 'bytes', 'count', 'mtime', 'ctime', 'gen', 'last')
if not m[1] then return nil end
local fresh, last = 1, m[7]
if changed_since(KEYS[1], m[7], tonumber(m[3])) then fresh, last = 0, last_id(KEYS[1]) end
return {m[1], m[2], m[3], m[4], m[5], m[6], fresh, last}
