-- KEYS stream, meta, attrs (what a directory at the same path would have stored), listing
-- (the parent directory's), idx, delayed. ARGV name in that listing, or '' not to look there:
-- on a Redis Cluster the listing is in another slot, so KEYS[4] repeats KEYS[3] and the caller
-- asks the listing itself; then the mount's default retention (messages, bytes, seconds; ''
-- for none), then indexEvery.
-- The scheduled messages due by now enter first, and a topic is trimmed to its retention
-- limits, so that an idle topic with an age limit shrinks too.
-- Returns one string of fields joined by spaces (an empty field for a value not stored): one
-- string costs the server and the client less than an array of them, and every ls -l pays
-- this once per name.
--   't uid bytes count mtime ctime gen fresh lastId owner group mode retainMessages
--     retainBytes retainSeconds scheduled delay holdable' for a topic (scheduled: how many
--     messages wait to enter; delay: the topic's own delay in ms), fresh 0 when entries were
--     added or removed by another client since the counters were last brought up to date
--     (nothing is trimmed then); holdable 1 when only a change of its keys can change the
--     answer: this call changed nothing, no message waits to enter and no age limit applies (a
--     client that tracks the keys may then keep the answer until Redis invalidates them);
--   else 'd owner group mode mtime ctime listed': a directory's stored attributes and how the
--     parent lists the name (empty when it does not, or was not asked). Whether there is a
--     directory is the listing's to say.
local function joined(fields, n)
  local out = {}
  for i = 1, n do out[i] = fields[i] or '' end
  return table.concat(out, ' ')
end
local FIELDS = {'uid', 'bytes', 'count', 'mtime', 'ctime', 'gen', 'last', 'owner', 'group', 'mode',
  'retain-messages', 'retain-bytes', 'retain-seconds', 'head', 'due', 'delay'}
local m = redis.call('HMGET', KEYS[2], unpack(FIELDS))
local wrote = false
if m[15] and tonumber(m[15]) <= now_ms() then
  catch_up(KEYS[1], KEYS[2], KEYS[5], KEYS[6], tonumber(ARGV[5]))
  m = redis.call('HMGET', KEYS[2], unpack(FIELDS))
  wrote = true
end
if not m[1] then
  local a = redis.call('HMGET', KEYS[3], 'owner', 'group', 'mode', 'mtime', 'ctime')
  local listed = false
  if ARGV[1] ~= '' then listed = redis.call('HGET', KEYS[4], ARGV[1]) end
  return joined({'d', a[1], a[2], a[3], a[4], a[5], listed}, 7)
end
local fresh, last = 1, m[7]
local max_m, max_b, max_s = limits_of(m[11], m[12], m[13], ARGV[2], ARGV[3], ARGV[4])
if changed_since(KEYS[1], m[7], tonumber(m[3])) then
  fresh, last = 0, last_id(KEYS[1])
elseif max_m or max_b or max_s then
  local _, bytes, count = trim(KEYS[1], KEYS[2], KEYS[5], tonumber(m[14]) or 0, tonumber(m[2]), tonumber(m[3]), max_m, max_b, max_s)
  if bytes ~= tonumber(m[2]) or count ~= tonumber(m[3]) then wrote = true end
  m[2], m[3] = bytes, count
end
local scheduled = 0
if m[15] then scheduled = redis.call('ZCARD', KEYS[6]) end
local holdable = ''
if fresh == 1 and not wrote and not m[15] and not max_s then holdable = '1' end
return joined({'t', m[1], m[2], m[3], m[4], m[5], m[6], fresh, last, m[8], m[9], m[10], m[11], m[12], m[13], scheduled, m[16], holdable}, 18)
