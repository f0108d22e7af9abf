-- KEYS stream. ARGV group, consumer, visibility (ms), then the ids of messages to give back.
-- Messages `consumer` claimed ahead (claim.lua) and never handed to a reader become claimable by
-- any consumer at once, as if never delivered: idle for the visibility timeout, delivery count 0
-- (XCLAIM with RETRYCOUNT and JUSTID, which leaves the count as set), so the next claim counts
-- its delivery as the first. Only those still this consumer's first delivery: one claimed again
-- since, acknowledged, or deleted is left alone. Returns how many were given back.
local given = 0
for i = 4, #ARGV do
  local id = ARGV[i]
  local p = redis.pcall('XPENDING', KEYS[1], ARGV[1], id, id, 1)
  if type(p) == 'table' and not p.err and p[1] and p[1][2] == ARGV[2] and tonumber(p[1][4]) == 1 then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, id, 'IDLE', ARGV[3], 'RETRYCOUNT', 0, 'JUSTID')
    given = given + 1
  end
end
return given
