-- KEYS stream, meta, idx, delayed, due. ARGV group, consumer, visibility (ms), max deliveries,
-- done (the ids of messages the consumer finished, space-separated, or '': acknowledged first,
-- in the same step), indexEvery, ahead (how many new messages to claim beyond the first).
-- Hands one message of the topic to `consumer` of consumer group `group`, creating the group at
-- the topic's first message if it is new. A message another consumer was given and has not
-- acknowledged for `visibility` ms goes first (XAUTOCLAIM), then a new one (XREADGROUP), with up
-- to `ahead` more new ones for the consumer's other reads.
-- Returns nil when the topic is gone, else {uid, kind, ...}:
--   'message', id, deliveries, rendered bytes, then id and rendered bytes of each one claimed
--     ahead (delivered once)
--   'dead', id, deliveries, payload, '1' when verbatim: delivered more than max deliveries
--     times; still pending (the caller moves it to TOPIC.dead, then acknowledges it)
--   'none', last id of the stream, ms until a pending message may be claimed ('' for none known),
--     ms until the next scheduled message is due ('' for none) and the id of the last
--     announcement of one (helpers.lua: schedule_of)
-- Scheduled messages due by now enter first.
local uid = redis.call('HGET', KEYS[2], 'uid')
if not uid then return nil end
catch_up(KEYS[1], KEYS[2], KEYS[3], KEYS[4], tonumber(ARGV[6]))
local stream, group, consumer = KEYS[1], ARGV[1], ARGV[2]
local visibility, max_deliveries = tonumber(ARGV[3]), tonumber(ARGV[4])

-- The group is made when a claim finds none (NOGROUP, also for a stream not made yet), rather
-- than tried on every claim, where Redis would build a BUSYGROUP error reply each time.
local function make_group_once(reply)
  if type(reply) == 'table' and reply.err then
    if not string.find(reply.err, 'NOGROUP', 1, true) then error(reply) end
    redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
    return true
  end
  return false
end

if ARGV[5] ~= '' then
  local done = {}
  for id in string.gmatch(ARGV[5], '%S+') do done[#done + 1] = id end
  make_group_once(redis.pcall('XACK', stream, group, unpack(done)))
end

local function deliveries_of(id)
  local p = redis.call('XPENDING', stream, group, id, id, 1)
  if p[1] then return tonumber(p[1][4]) end
  return 1
end

local function handed(entry, deliveries)
  if deliveries > max_deliveries then
    local data, raw = shape(entry[2])
    if data == nil then
      local parts = {}
      emit(parts, 0, entry[2])
      data = string.sub(parts[1], 1, -2)
    end
    return {uid, 'dead', entry[1], tostring(deliveries), data, raw and '1' or ''}
  end
  local parts = {}
  emit(parts, 0, entry[2])
  return {uid, 'message', entry[1], tostring(deliveries), table.concat(parts)}
end

-- XAUTOCLAIM looks at about ten pending entries per call: walk the whole list, which holds
-- about one entry per live reader. Entries a reset deleted leave the list as it passes them.
local cursor = '0-0'
repeat
  local r = redis.pcall('XAUTOCLAIM', stream, group, consumer, visibility, cursor, 'COUNT', 1)
  if make_group_once(r) then r = redis.call('XAUTOCLAIM', stream, group, consumer, visibility, cursor, 'COUNT', 1) end
  cursor = r[1]
  local entry = r[2][1]
  if entry then return handed(entry, deliveries_of(entry[1])) end
until cursor == '0-0'

local fresh = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', 1 + tonumber(ARGV[7]), 'STREAMS', stream, '>')
if fresh and fresh[1] and fresh[1][2][1] then
  local entries = fresh[1][2]
  local reply = handed(entries[1], 1)
  for i = 2, #entries do
    local parts = {}
    emit(parts, 0, entries[i][2])
    reply[#reply + 1] = entries[i][1]
    reply[#reply + 1] = table.concat(parts)
  end
  return reply
end

-- Nothing to hand out: when will the longest-idle pending message become claimable?
local retry = ''
local pending = redis.call('XPENDING', stream, group, '-', '+', 100)
for _, p in ipairs(pending) do
  local left = visibility - tonumber(p[3])
  if left < 0 then left = 0 end
  if retry == '' or left < retry then retry = left end
end
local due_in, announced = schedule_of(KEYS[2], KEYS[5])
return {uid, 'none', last_id(stream), tostring(retry), due_in, announced}
