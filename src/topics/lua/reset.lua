-- KEYS stream, meta, idx.
-- Deletes every message; the topic, its ids, its identity and its retention limits stay.
-- ENOENT when there is none.
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('ENOENT no such topic') end
redis.call('XTRIM', KEYS[1], 'MAXLEN', 0)
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[2], 'bytes', 0, 'count', 0, 'last', '0-0', 'mark', 0, 'head', 0, 'mtime', now_ms())
redis.call('HINCRBY', KEYS[2], 'gen', 1)
return 1
