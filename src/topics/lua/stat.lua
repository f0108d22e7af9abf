-- KEYS stream, meta, attrs (the attributes a directory at the same path would have).
-- Returns nil when there is neither a topic nor directory attributes;
--   {'t', uid, bytes, count, mtime, ctime, gen, fresh, lastId, owner, group, mode} for a topic,
--     fresh 0 when entries were added or removed by another client since the counters were
--     last brought up to date;
--   {'d', owner, group, mode, mtime, ctime} for the attributes of a directory. Whether the
--     directory exists is its parent's listing's to say (another slot on a Cluster).
local m = redis.call('HMGET', KEYS[2], 'uid', 'bytes', 'count', 'mtime', 'ctime', 'gen', 'last',
  'owner', 'group', 'mode')
if not m[1] then
  local a = redis.call('HMGET', KEYS[3], 'owner', 'group', 'mode', 'mtime', 'ctime')
  if not (a[1] or a[3] or a[4] or a[5]) then return nil end
  return {'d', a[1], a[2], a[3], a[4], a[5]}
end
local fresh, last = 1, m[7]
if changed_since(KEYS[1], m[7], tonumber(m[3])) then fresh, last = 0, last_id(KEYS[1]) end
return {'t', m[1], m[2], m[3], m[4], m[5], m[6], fresh, last, m[8], m[9], m[10]}
