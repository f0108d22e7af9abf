-- KEYS stream, meta, attrs (what a directory at the same path would have stored), listing
-- (the parent directory's). ARGV name in that listing, or '' not to look there: on a Redis
-- Cluster the listing is in another slot, so KEYS[4] repeats KEYS[3] and the caller asks the
-- listing itself.
-- Returns one string of fields joined by spaces (an empty field for a value not stored): one
-- string costs the server and the client less than an array of them, and every ls -l pays
-- this once per name.
--   't uid bytes count mtime ctime gen fresh lastId owner group mode' for a topic, fresh 0
--     when entries were added or removed by another client since the counters were last
--     brought up to date;
--   else 'd owner group mode mtime ctime listed': a directory's stored attributes and how the
--     parent lists the name (empty when it does not, or was not asked). Whether there is a
--     directory is the listing's to say.
local function joined(fields, n)
  local out = {}
  for i = 1, n do out[i] = fields[i] or '' end
  return table.concat(out, ' ')
end
local m = redis.call('HMGET', KEYS[2], 'uid', 'bytes', 'count', 'mtime', 'ctime', 'gen', 'last',
  'owner', 'group', 'mode')
if not m[1] then
  local a = redis.call('HMGET', KEYS[3], 'owner', 'group', 'mode', 'mtime', 'ctime')
  local listed = false
  if ARGV[1] ~= '' then listed = redis.call('HGET', KEYS[4], ARGV[1]) end
  return joined({'d', a[1], a[2], a[3], a[4], a[5], listed}, 7)
end
local fresh, last = 1, m[7]
if changed_since(KEYS[1], m[7], tonumber(m[3])) then fresh, last = 0, last_id(KEYS[1]) end
return joined({'t', m[1], m[2], m[3], m[4], m[5], m[6], fresh, last, m[8], m[9], m[10]}, 12)
