-- KEYS stream, meta, idx, delayed, due, writes. ARGV uid, indexEvery, flags ("l" line / "r"
-- verbatim per message), notify channel ("" for none), the mount's default retention (messages,
-- bytes, seconds; '' for none), make room ("1" after Redis refused the append as out of memory,
-- else ""), delay (ms; '' for the topic's own delay, if any), retrack ("1" to read the stream and
-- the metadata again once they are changed, else ""), writer and request (the append's token,
-- helpers.lua: written; '' '' for none), payload...
-- An append whose token was applied already changes nothing and returns what append returns.
-- Appends every payload in one atomic step, after the scheduled messages due by now, trims the
-- topic to its retention limits, then announces the stream on the channel. With a delay, the
-- payloads are scheduled instead (helpers.lua: schedule) and the topic is left as it is.
-- Returns {bytes, lastId, count}, or {bytes, lastId} when the payloads were scheduled. Errors:
-- ESTALE when the topic the caller opened is gone, UNRECONCILED when another client changed the
-- stream (nothing applied).
-- Retrack is for a caller whose connection Redis tracks with NOLOOP (see tracked-stats.ts): its
-- own change ends the tracking of the keys without a word, and a read after it starts it again,
-- so that the stat it keeps, brought up to date with this reply, hears of the next change.
local FIRST = 13
local m = redis.call('HMGET', KEYS[2], 'uid', 'bytes', 'count', 'last', 'mark', 'head',
  'retain-messages', 'retain-bytes', 'retain-seconds', 'due', 'delay')
if m[1] ~= ARGV[1] then return redis.error_reply('ESTALE the topic was removed after it was opened') end
local writer, request = ARGV[11], ARGV[12]
local done, kept = false, nil
if request ~= '' then
  done, kept = written(KEYS[6], writer, request)
  if done then return {num(tonumber(m[2])), m[4], tonumber(m[3])} end
end
if changed_since(KEYS[1], m[4], tonumber(m[3])) then return redis.error_reply('UNRECONCILED another client changed the stream') end
local every = tonumber(ARGV[2])
local flags = ARGV[3]
local bytes, count, mark = tonumber(m[2]), tonumber(m[3]), tonumber(m[5])
local head = tonumber(m[6]) or 0
local id = m[4]
local delay = tonumber(ARGV[9]) or tonumber(m[11])
if delay and delay > 0 then
  schedule(KEYS[1], KEYS[2], KEYS[4], KEYS[5], flags, FIRST, delay, ARGV[4])
  if request ~= '' then note_written(KEYS[6], writer, request, kept) end
  return {num(bytes), id}
end
local max_m, max_b, max_s = limits_of(m[7], m[8], m[9], ARGV[5], ARGV[6], ARGV[7])
if ARGV[8] ~= '' and (max_m or max_b or max_s) then
  -- Redis refuses a script's first change that needs memory when it is full, but not the ones
  -- after a change (a script cannot stop halfway). So a topic with limits makes room first:
  -- it trims the entries the limits would trim once the new ones are in, then appends.
  local new_m, new_b = #ARGV - FIRST + 1, 0
  for i = FIRST, #ARGV do
    new_b = new_b + #ARGV[i]
    if string.byte(flags, i - FIRST + 1) ~= 114 then new_b = new_b + 1 end
  end
  head, bytes, count = trim(KEYS[1], KEYS[2], KEYS[3], head, bytes, count,
    max_m and math.max(max_m - new_m, 0), max_b and math.max(max_b - new_b, 0), max_s, 0)
end
if m[10] then
  local now = now_ms()
  if tonumber(m[10]) <= now then
    id, bytes, count, mark = enter_due(KEYS[1], KEYS[2], KEYS[3], KEYS[4], now, id, head, bytes, count, mark, every)
  end
end
for i = FIRST, #ARGV do
  id, bytes, mark = add_entry(KEYS[1], KEYS[3], ARGV[i], string.byte(flags, i - FIRST + 1) == 114, head, bytes, mark, every)
end
count = count + #ARGV - FIRST + 1
redis.call('HSET', KEYS[2], 'bytes', bytes, 'count', count, 'last', id, 'mark', mark, 'mtime', id_ms(id))
if max_m or max_b or max_s then
  head, bytes, count = trim(KEYS[1], KEYS[2], KEYS[3], head, bytes, count, max_m, max_b, max_s)
end
if request ~= '' then note_written(KEYS[6], writer, request, kept) end
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[4], KEYS[1]) end
if ARGV[10] == '1' then
  redis.call('XLEN', KEYS[1])
  redis.call('HEXISTS', KEYS[2], 'uid')
end
return {num(bytes), id, count}
