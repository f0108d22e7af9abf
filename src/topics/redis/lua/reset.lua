-- KEYS stream, meta, idx, delayed.
-- Deletes every message, the scheduled ones too; the topic, its ids, its identity, its
-- retention limits and its delay stay.
-- ENOENT when there is none.
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('ENOENT no such topic') end
redis.call('XTRIM', KEYS[1], 'MAXLEN', 0)
redis.call('DEL', KEYS[3], KEYS[4])
redis.call('HDEL', KEYS[2], 'due')
redis.call('HSET', KEYS[2], 'bytes', 0, 'count', 0, 'last', '0-0', 'mark', 0, 'head', 0, 'mtime', now_ms())
redis.call('HINCRBY', KEYS[2], 'gen', 1)
return 1
