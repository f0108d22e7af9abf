-- KEYS stream, meta, idx, writes. ARGV uid, indexEvery, flag ("l" line / "r" verbatim), notify
-- channel ("" for none), id, size (the payload's bytes), writer and request (the append's token,
-- noted as append.lua notes it; '' '' for none).
-- Accounts one payload that the XADD right after this script, in the same MULTI, adds to the
-- stream at `id` itself: a payload passed to a script costs Redis about a nanosecond a byte
-- (Lua hashes every string it is given), which for large payloads costs more than the rest of
-- the append, while XADD takes it as it came.
-- When the payload cannot go at `id` as a plain append (the topic is gone or was replaced, it
-- has no stream yet, another client changed the stream, `id` is not after the last entry or too far from Redis's
-- clock, messages are scheduled or due, retention limits apply), nothing is accounted, the
-- stream's last id is moved to `id` so that the XADD fails, and the reply is an error:
-- ESTALE, UNRECONCILED, or UNPLACED (append through append.lua instead).
-- Returns {bytes, id, count}, as append.lua does.
local m = redis.call('HMGET', KEYS[2], 'uid', 'bytes', 'count', 'last', 'mark', 'head',
  'retain-messages', 'retain-bytes', 'retain-seconds', 'due', 'delay')
local id = ARGV[5]

-- An XADD at an id the stream's last id has reached fails (an absent stream: NOMKSTREAM).
-- XSETID is refused when `id` comes before the newest entry, and then the XADD fails anyway.
local function refuse(reply)
  redis.pcall('XSETID', KEYS[1], id)
  return redis.error_reply(reply)
end

if m[1] ~= ARGV[1] then return refuse('ESTALE the topic was removed after it was opened') end
-- No stream yet (a new topic, or one reset): the XADD finds none (NOMKSTREAM), append.lua makes it.
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('UNPLACED the topic has no stream yet') end
local count = tonumber(m[3])
if changed_since(KEYS[1], m[4], count) then return refuse('UNRECONCILED another client changed the stream') end
-- Not after the last entry: the XADD fails by itself.
if id_le(id, m[4]) then return redis.error_reply('UNPLACED the id is not after the last entry') end
local now = now_ms()
if math.abs(tonumber(id_ms(id)) - math.max(now, tonumber(id_ms(m[4])))) > 1000 then
  return refuse('UNPLACED the id is too far from the server clock')
end
if m[7] or m[8] or m[9] or m[10] or (tonumber(m[11]) or 0) > 0 then
  return refuse('UNPLACED the topic has retention limits, a delay or scheduled messages')
end
local every = tonumber(ARGV[2])
local bytes, mark = tonumber(m[2]), tonumber(m[5])
local head = tonumber(m[6]) or 0
if head + bytes >= mark then
  redis.call('ZADD', KEYS[3], head + bytes, id)
  mark = head + bytes + every
end
bytes = bytes + tonumber(ARGV[6])
if ARGV[3] ~= 'r' then bytes = bytes + 1 end
count = count + 1
redis.call('HSET', KEYS[2], 'bytes', bytes, 'count', count, 'last', id, 'mark', mark, 'mtime', id_ms(id))
if ARGV[8] ~= '' then
  local _, kept = written(KEYS[4], ARGV[7], ARGV[8])
  note_written(KEYS[4], ARGV[7], ARGV[8], kept)
end
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[4], KEYS[1]) end
-- The caller's connection is tracked with NOLOOP: reading the metadata again after changing it
-- keeps it tracked (the caller reads the stream again after the XADD).
redis.call('HEXISTS', KEYS[2], 'uid')
return {num(bytes), id, count}
