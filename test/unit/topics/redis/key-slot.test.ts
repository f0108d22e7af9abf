import fc from 'fast-check'
import type { Cluster, Redis } from 'ioredis'
import t from 'tap'
import { keySlot, slotMaster } from '../../../../src/topics/redis/key-slot'
import { RedisServer, startRedis } from '../../../../scripts/support/redis-server'

// test/unit/topics/redis/keys.test.ts checks that a topic's keys share a slot; these check the slots.

t.test('slots Redis gives for known keys', async t => {
  t.equal(keySlot('foo'), 12182)
  t.equal(keySlot('bar'), 5061)
  t.equal(keySlot('hello'), 866)
  t.equal(keySlot('123456789'), 0x31c3, 'the CRC16/XMODEM check value')
  t.equal(keySlot(''), 0)
  t.equal(keySlot('{user1000}.following'), keySlot('{user1000}.followers'))
  t.equal(keySlot('{user1000}.following'), keySlot('user1000'))
})

t.test('hash tags as Redis reads them: the first {, the first } after it, not empty', async t => {
  // The numbers are CLUSTER KEYSLOT's (Redis 7.0).
  t.equal(keySlot('foo{}{bar}'), 8363, 'an empty tag: the whole key')
  t.equal(keySlot('{}'), 15257)
  t.equal(keySlot('foo{{bar}}zap'), 4015)
  t.equal(keySlot('foo{{bar}}zap'), keySlot('{bar'))
  t.equal(keySlot('foo{bar}{zap}'), keySlot('bar'))
  t.equal(keySlot('{a'), 10276, 'no closing brace: the whole key')
  t.equal(keySlot('x{a'), 6541)
  t.equal(keySlot('dnpipes:{é/ü}:meta'), keySlot('é/ü'), 'bytes of UTF-8')
})

let server: RedisServer
let redis: Redis
t.before(async () => {
  // A cluster node answers CLUSTER KEYSLOT without any slots assigned.
  server = await startRedis({ persistence: false, args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'] })
  redis = server.client()
})
t.teardown(() => server?.stop())

t.test('any key has the slot CLUSTER KEYSLOT gives', async t => {
  const char = fc.constantFrom('{', '}', 'a', 'b', ':', '/', 'é', '\u{1F600}', '\0', ' ')
  const key = fc.oneof(fc.string({ unit: char, maxLength: 12 }), fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 10 }))
  const keys = fc.sample(key, { numRuns: 400 })
  const pipeline = redis.pipeline()
  for (const k of keys) pipeline.cluster('KEYSLOT', k)
  const replies = await pipeline.exec()
  const wrong = keys.filter((k, i) => replies?.[i]?.[1] !== keySlot(k))
  t.same(wrong, [], `${keys.length} keys`)
})

t.test('slotMaster finds the master that owns the key\'s slot', async t => {
  const node = (host: string, port: number): Redis => ({ options: { host, port } }) as unknown as Redis
  const a = node('10.0.0.1', 7000)
  const b = node('10.0.0.2', 7001)
  const slots: string[][] = []
  slots[keySlot('foo')] = ['10.0.0.2:7001', '10.0.0.3:7002']
  slots[keySlot('bar')] = ['10.0.0.9:7009']
  const asked: string[] = []
  const cluster = { slots, nodes: (role: string) => { asked.push(role); return [a, b] } } as unknown as Cluster
  t.equal(slotMaster(cluster, 'foo'), b)
  t.equal(slotMaster(cluster, '{foo}:meta'), b, 'by hash tag')
  t.same(asked, ['master', 'master'], 'among the masters')
  t.equal(slotMaster(cluster, 'bar'), undefined, 'an owner with no connection')
  t.equal(slotMaster(cluster, 'hello'), undefined, 'a slot with no owner known')
})
