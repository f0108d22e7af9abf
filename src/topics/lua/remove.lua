-- KEYS stream, meta, idx.
-- Deletes the topic. Returns 1 if it existed.
local existed = redis.call('EXISTS', KEYS[2])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return existed
