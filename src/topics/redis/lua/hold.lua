-- KEYS stream. ARGV group, consumer, id, deliveries, idle (ms).
-- Keeps a message that `consumer` is working on from being claimed by another, or brings it back
-- sooner: sets its idle time to `idle` (0: held for another visibility timeout; the visibility
-- timeout less D: claimable again in D), with XCLAIM JUSTID, which leaves the delivery count
-- alone. Only while it is still this delivery of it (same consumer, same count). Returns 1 when
-- done, 0 when it was claimed again, acknowledged, deleted, or its group or topic is gone.
local p = redis.pcall('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if type(p) ~= 'table' or p.err or not p[1] then return 0 end
if p[1][2] ~= ARGV[2] or tostring(p[1][4]) ~= ARGV[4] then return 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'IDLE', ARGV[5], 'JUSTID')
return 1
