-- KEYS stream. ARGV group, consumer, id, deliveries.
-- Keeps a message that `consumer` is working on from being claimed by another: resets its idle
-- time (XCLAIM JUSTID leaves the delivery count alone), but only while it is still this
-- delivery of it (same consumer, same count). Returns 1 when held, 0 when it was claimed
-- again, acknowledged, deleted, or its group or topic is gone.
local p = redis.pcall('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if type(p) ~= 'table' or p.err or not p[1] then return 0 end
if p[1][2] ~= ARGV[2] or tostring(p[1][4]) ~= ARGV[4] then return 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')
return 1
