-- Shared by every script: prepended to each one when it is loaded (see script-runner.ts), after
-- the field names of the stored format, which come from src/framing/entry.ts:
--   PAYLOAD_FIELD  the payload of a message ('data')
--   VERBATIM_FIELD present when the payload renders without a newline ('raw')

-- The payload and whether it renders without a newline.
local function shape(fields)
  local data, raw = nil, false
  for i = 1, #fields, 2 do
    local f = fields[i]
    if data == nil and f == PAYLOAD_FIELD then data = fields[i + 1]
    elseif f == VERBATIM_FIELD then raw = true end
  end
  return data, raw
end

-- Bytes the entry occupies in the file (src/framing/entry.ts: renderedLength).
local function entry_size(fields)
  local data, raw = shape(fields)
  if data ~= nil then
    if raw then return #data end
    return #data + 1
  end
  local n = 0
  for i = 1, #fields, 2 do n = n + #fields[i] + 1 + #fields[i + 1] + 1 end
  if n < 1 then n = 1 end
  return n
end

-- Where an XRANGE starts to get the entries after `last` ('0-0': from the first entry).
local function after(last)
  if last == '0-0' then return '-' end
  return '(' .. last
end

-- A whole number as Redis takes it: Lua's own tostring and .. keep 14 digits, and offsets
-- counted since the last reset can grow past that.
local function num(n)
  return string.format('%.0f', n)
end

-- How many entries the next XRANGE of a page asks for: enough for the bytes still wanted at
-- the mean size of the entries seen so far (one before any), at most 512. A fixed 512 made a
-- page of 1 MiB entries turn 512 MiB of the stream into Lua values, to use one of them.
local function batch_size(wanted, seen, seen_bytes)
  if seen == 0 then return 1 end
  local n = math.ceil(wanted * seen / math.max(seen_bytes, 1)) + 1
  if n > 512 then return 512 end
  return n
end

-- Appends an entry's rendering to parts at index n + 1; returns the new n and the size. A
-- payload and its newline go in as two parts, never joined: every string Lua makes is hashed
-- and interned, and joining them made a page of 50-byte lines take 15% longer.
local function emit(parts, n, fields)
  local data, raw = nil, false
  -- Entries written by dnpipes (the payload field alone) skip shape(): 8% of a page's time.
  if #fields == 2 and fields[1] == PAYLOAD_FIELD then
    data = fields[2]
  else
    data, raw = shape(fields)
  end
  if data == nil then
    local line = {}
    for i = 1, #fields, 2 do line[#line + 1] = fields[i] .. '=' .. fields[i + 1] end
    local rendered = table.concat(line, ' ') .. '\n'
    parts[n + 1] = rendered
    return n + 1, #rendered
  end
  parts[n + 1] = data
  if raw then return n + 1, #data end
  parts[n + 2] = '\n'
  return n + 2, #data + 1
end

-- Whether another client added or removed entries since the counters were last brought up to
-- date (they count `count` entries, the newest `last`). Ids only grow, so an added entry lies
-- after `last`. Comparing `last` with the newest id instead fetched the whole newest entry,
-- which doubled the time of an append after a 128 KiB one.
local function changed_since(stream, last, count)
  if redis.call('XLEN', stream) ~= count then return true end
  return #redis.call('XRANGE', stream, after(last), '+', 'COUNT', 1) > 0
end

local function last_id(stream)
  local top = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)
  if top[1] then return top[1][1] end
  return '0-0'
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function id_ms(id)
  return string.match(id, '^(%d+)')
end

-- Stores the owner, group and mode given ('' leaves one as it is).
local function set_ownership(hash, owner, group, mode)
  if owner ~= '' then redis.call('HSET', hash, 'owner', owner) end
  if group ~= '' then redis.call('HSET', hash, 'group', group) end
  if mode ~= '' then redis.call('HSET', hash, 'mode', mode) end
end

-- Tells every mount that holds directories (see directory-cache.ts) that the directory at
-- `path` changed; '' for `channel` when none does. A user whose ACL forbids the channel still
-- makes its change (pcall); docs/interop.md (Connections) says what holders then miss.
local function announce_directory(channel, path)
  if channel ~= '' then redis.pcall('PUBLISH', channel, path) end
end

-- The path of `name` in the directory `dir` ('' for the root).
local function child_path(dir, name)
  if dir == '' then return name end
  return dir .. '/' .. name
end

-- The retention limits that apply to a topic, as numbers (nil for none): its own when it has
-- any (the meta fields retain-messages, -bytes, -seconds), else the defaults of the mount
-- that runs the script (ARGV strings, '' for none).
local function limits_of(own_m, own_b, own_s, def_m, def_b, def_s)
  if own_m or own_b or own_s then return tonumber(own_m), tonumber(own_b), tonumber(own_s) end
  return tonumber(def_m), tonumber(def_b), tonumber(def_s)
end

-- The id right after `id`: XTRIM MINID with it deletes `id` and everything before it.
local function next_id(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return ms .. '-' .. num(tonumber(seq) + 1)
end

-- Whether stream id `a` comes before `b`, or is it.
local function id_le(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, bm = tonumber(am), tonumber(bm)
  if am ~= bm then return am < bm end
  return tonumber(as) <= tonumber(bs)
end

-- Rendered bytes of the entries XRANGE start end gives (an end of '(' .. id excludes it).
local function bytes_between(stream, start, stop)
  local n = 0
  for _, e in ipairs(redis.call('XRANGE', stream, start, stop)) do n = n + entry_size(e[2]) end
  return n
end

-- Where the entry `id` starts, counted as head is: back from the first index point at or after
-- it, or from the end (`stop`) when there is none, so that no more than about one index interval
-- of entries is turned into Lua values. Entries before `id` may be gone already.
local function offset_of(stream, idx, id, stop)
  local lo, hi, found = 0, redis.call('ZCARD', idx) - 1, nil
  while lo <= hi do
    local mid = math.floor((lo + hi) / 2)
    local point = redis.call('ZRANGE', idx, mid, mid, 'WITHSCORES')
    if id_le(id, point[1]) then
      found, hi = point, mid - 1
    else
      lo = mid + 1
    end
  end
  if not found then return stop - bytes_between(stream, id, '+') end
  if found[1] == id then return tonumber(found[2]) end
  return tonumber(found[2]) - bytes_between(stream, id, '(' .. found[1])
end

-- Entries one trim deletes at most: a limit set on a long topic is applied over several calls
-- (see RedisEngine.retain) instead of holding Redis for seconds.
local TRIM_MAX = 10000
-- Beyond about this many bytes to delete, a trim finds its cut from the offset index instead of
-- turning every deleted entry into a Lua value (which costs as much as appending it did).
local TRIM_BY_INDEX_BYTES = 65536

-- Stores where the file starts now (`at`) and what is left after it; index points before it go.
local function set_head(meta, idx, at, bytes, count)
  redis.call('ZREMRANGEBYSCORE', idx, '-inf', '(' .. num(at))
  redis.call('HSET', meta, 'head', at, 'bytes', bytes, 'count', count)
  return at, bytes, count
end

-- A count limit applied from the index: XTRIM keeps the newest max_m entries (it knows which),
-- and the offset of the first one left comes from the nearest index point.
local function trim_count_by_index(stream, meta, idx, head, bytes, count, max_m)
  local stop = head + bytes
  local dropped = redis.call('XTRIM', stream, 'MAXLEN', max_m)
  local keep = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1][1]
  local at = offset_of(stream, idx, keep, stop)
  return set_head(meta, idx, at, stop - at, count - dropped)
end

-- A bytes limit applied from the index: the first entry kept is the first that starts at or
-- after `stop` - max_b (the newest one at the latest), found from the index point before it.
local function trim_bytes_by_index(stream, meta, idx, head, bytes, count, max_b)
  local stop = head + bytes
  local target = stop - max_b
  local point = redis.call('ZREVRANGEBYSCORE', idx, target, '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
  local start, pos = '-', head
  if point[1] then start, pos = point[1], tonumber(point[2]) end
  local seen, seen_bytes, batch, keep, at = 0, 0, 1, nil, nil
  while true do
    local page = redis.call('XRANGE', stream, start, '+', 'COUNT', batch)
    for _, e in ipairs(page) do
      keep, at = e[1], pos
      if pos >= target then break end
      local size = entry_size(e[2])
      pos, seen, seen_bytes = pos + size, seen + 1, seen_bytes + size
    end
    if at >= target or #page < batch then break end
    start = '(' .. page[#page][1]
    batch = batch_size(target - pos, seen, seen_bytes)
  end
  if at <= head then return head, bytes, count end
  local dropped = redis.call('XTRIM', stream, 'MINID', keep)
  return set_head(meta, idx, at, stop - at, count - dropped)
end

-- Deletes the oldest whole entries beyond the limits (nil for none) and moves the head (the
-- offset, counted from the first entry since the last reset, where the file now starts) past
-- them; index points before it go. The counters must be up to date. A bytes limit never
-- deletes the newest entry, unless `spare` is 0: newer ones are about to be appended.
-- Returns head, bytes, count, and whether it stopped at TRIM_MAX.
local function trim(stream, meta, idx, head, bytes, count, max_m, max_b, max_s, spare)
  spare = spare or 1
  -- Whether `n` entries of `b` bytes are more than the count and bytes limits allow.
  local function beyond(n, b)
    return (max_m and n > max_m) or (max_b and b > max_b and n > spare)
  end
  local cutoff = nil
  if max_s then cutoff = now_ms() - max_s * 1000 end
  local over = beyond(count, bytes)
  if not over and cutoff then
    over = #redis.call('XRANGE', stream, '-', '(' .. num(cutoff) .. '-0', 'COUNT', 1) > 0
  end
  if not over then return head, bytes, count, false end
  -- Without an age limit, a large trim finds its cut from the index: its cost does not grow
  -- with what it deletes (an append past the limit deletes about as much as it added).
  if not cutoff then
    if max_m and max_m >= 1 and count > max_m and (count - max_m) * bytes / count > TRIM_BY_INDEX_BYTES then
      head, bytes, count = trim_count_by_index(stream, meta, idx, head, bytes, count, max_m)
    end
    if max_b and bytes - max_b > TRIM_BY_INDEX_BYTES and count > 1 then
      head, bytes, count = trim_bytes_by_index(stream, meta, idx, head, bytes, count, max_b)
    end
    if not beyond(count, bytes) then return head, bytes, count, false end
  end
  local dropped_n, dropped_b, last = 0, 0, nil
  local start, batch, stopped = '-', 1, false
  while not stopped do
    local page = redis.call('XRANGE', stream, start, '+', 'COUNT', batch)
    for _, e in ipairs(page) do
      local drop = beyond(count - dropped_n, bytes - dropped_b) or (cutoff and tonumber(id_ms(e[1])) < cutoff)
      if not drop or dropped_n >= TRIM_MAX then stopped = true break end
      dropped_n, dropped_b, last = dropped_n + 1, dropped_b + entry_size(e[2]), e[1]
    end
    if #page < batch then break end
    start = '(' .. page[#page][1]
    -- About 1 MiB of entries per XRANGE, at the mean size so far, as pages do (batch_size).
    batch = batch_size(1048576, dropped_n, dropped_b)
  end
  if dropped_n == 0 then return head, bytes, count, false end
  redis.call('XTRIM', stream, 'MINID', next_id(last))
  head, bytes, count = set_head(meta, idx, head + dropped_b, bytes - dropped_b, count - dropped_n)
  return head, bytes, count, dropped_n >= TRIM_MAX
end

-- Scheduled messages (delayed delivery; keys.ts: {T}:delayed and {T}:due). A message pushed
-- with a delay waits in the sorted set {T}:delayed, scored by the time it is due (ms, Redis's
-- clock), as a member '<seq: 12 hex digits><flag: l or r><payload>', so that messages due at
-- the same ms enter in the order they were pushed. The meta field `due` holds the earliest
-- due time, so scripts that find none pay one field of a hash. Until it enters, a message is
-- in no read, follow or group.

-- Messages one script enters at most: more are left for the next script that looks.
local ENTER_MAX = 1000

-- Appends one message to the stream, indexed as append.lua indexes; returns its id, the new
-- bytes and the next offset to index.
local function add_entry(stream, idx, payload, verbatim, head, bytes, mark, every)
  local id, size
  if verbatim then
    id = redis.call('XADD', stream, '*', PAYLOAD_FIELD, payload, VERBATIM_FIELD, '1')
    size = #payload
  else
    id = redis.call('XADD', stream, '*', PAYLOAD_FIELD, payload)
    size = #payload + 1
  end
  -- Index points are offsets from the first entry since the last reset, trimmed ones included.
  if head + bytes >= mark then
    redis.call('ZADD', idx, head + bytes, id)
    mark = head + bytes + every
  end
  return id, bytes + size, mark
end

-- Stores the earliest due time left in the meta hash (none: the field goes).
local function note_next_due(meta, delayed)
  local first = redis.call('ZRANGE', delayed, 0, 0, 'WITHSCORES')
  if first[2] then
    redis.call('HSET', meta, 'due', first[2])
  else
    redis.call('HDEL', meta, 'due')
  end
end

-- Enters the messages due by `now`, in due order, after the last entry `id` of counters that
-- are up to date; returns id, bytes, count and mark as they are then (the caller stores them).
local function enter_due(stream, meta, idx, delayed, now, id, head, bytes, count, mark, every)
  local due = redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, ENTER_MAX)
  for _, member in ipairs(due) do
    id, bytes, mark = add_entry(stream, idx, string.sub(member, 14), string.byte(member, 13) == 114, head, bytes, mark, every)
  end
  if #due > 0 then redis.call('ZREM', delayed, unpack(due)) end
  note_next_due(meta, delayed)
  return id, bytes, count + #due, mark
end

-- For the scripts that read a topic: enters its scheduled messages that are due, when it has
-- any and its counters are up to date (else the next append, or a stat after the reconcile,
-- does), trimming to the topic's own retention limits as an append would.
local function catch_up(stream, meta, idx, delayed, every)
  local due = redis.call('HGET', meta, 'due')
  if not due then return end
  local now = now_ms()
  if tonumber(due) > now then return end
  local m = redis.call('HMGET', meta, 'bytes', 'count', 'last', 'mark', 'head',
    'retain-messages', 'retain-bytes', 'retain-seconds')
  local count = tonumber(m[2])
  if changed_since(stream, m[3], count) then return end
  local head = tonumber(m[5]) or 0
  local id, bytes, mark
  id, bytes, count, mark = enter_due(stream, meta, idx, delayed, now, m[3], head, tonumber(m[1]), count, tonumber(m[4]), every)
  redis.call('HSET', meta, 'bytes', bytes, 'count', count, 'last', id, 'mark', mark, 'mtime', id_ms(id))
  local max_m, max_b, max_s = limits_of(m[6], m[7], m[8], '', '', '')
  if max_m or max_b or max_s then trim(stream, meta, idx, head, bytes, count, max_m, max_b, max_s) end
end

-- What a reader about to wait needs to know of the schedule: ms until the earliest message is
-- due ('' for none), and the id of the last announcement of an earlier due time on {T}:due
-- ('0-0' for none), after which its wait also wakes.
local function schedule_of(meta, due_stream)
  local due = redis.call('HGET', meta, 'due')
  local due_in = ''
  if due then due_in = num(math.max(tonumber(due) - now_ms(), 0)) end
  return due_in, last_id(due_stream)
end

-- Schedules payloads ARGV[first..] (flags as append.lua's) to enter `delay` ms from now. When
-- that is earlier than any due time before, the readers waiting on the topic are told on
-- {T}:due (one entry kept) and, on a Cluster without keyspace notifications, on `channel`.
local function schedule(stream, meta, delayed, due_stream, flags, first, delay, channel)
  local due = now_ms() + delay
  local seq = redis.call('HINCRBY', meta, 'dseq', #ARGV - first + 1) - (#ARGV - first + 1)
  for i = first, #ARGV do
    local flag = 'l'
    if string.byte(flags, i - first + 1) == 114 then flag = 'r' end
    redis.call('ZADD', delayed, due, string.format('%012x', seq + i - first) .. flag .. ARGV[i])
  end
  local before = tonumber(redis.call('HGET', meta, 'due'))
  if before and before <= due then return end
  redis.call('HSET', meta, 'due', due)
  redis.call('XADD', due_stream, 'MAXLEN', 1, '*', 'at', due)
  if channel ~= '' then redis.call('PUBLISH', channel, stream) end
end

-- A writer's appends may carry a token (the writer, a mount, and its number for the write):
-- {T}:writes keeps, per writer, the numbers of its last WRITES_KEPT appends to the topic for
-- WRITES_KEPT_MS after the last, so that a write tried again after its writer's server died (it
-- may have been applied, its answer lost) is not applied twice. Numbers are kept space-separated.
local WRITES_KEPT = 64
local WRITES_KEPT_MS = 120000

-- Whether `writer` already applied `request` here, and the numbers kept for it.
local function written(writes, writer, request)
  local kept = redis.call('HGET', writes, writer)
  if not kept then return false, nil end
  return string.find(' ' .. kept .. ' ', ' ' .. request .. ' ', 1, true) ~= nil, kept
end

-- Notes that `writer` applied `request` (after `kept`, what written() found).
local function note_written(writes, writer, request, kept)
  local now = request
  if kept then
    now = kept .. ' ' .. request
    local _, spaces = string.gsub(now, ' ', ' ')
    if spaces >= WRITES_KEPT then now = string.sub(now, string.find(now, ' ', 1, true) + 1) end
  end
  redis.call('HSET', writes, writer, now)
  redis.call('PEXPIRE', writes, WRITES_KEPT_MS)
end
