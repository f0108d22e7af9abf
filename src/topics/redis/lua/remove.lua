-- KEYS stream, meta, idx, delayed, due.
-- Deletes the topic, its scheduled messages too. Returns 1 if it existed.
local existed = redis.call('EXISTS', KEYS[2])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
return existed
