-- KEYS stream. ARGV group, consumer.
-- Drops `consumer` from `group` when it holds no message (XGROUP DELCONSUMER would forget the
-- messages it holds). Returns 1 when dropped.
local p = redis.pcall('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if type(p) ~= 'table' or p.err or p[1] then return 0 end
redis.pcall('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1
