import t from 'tap'
import { Cluster } from 'ioredis'
import { render } from '../../src/framing/entry'
import { Message } from '../../src/framing/message'
import { ReadCursor } from '../../src/topics/readers/read-cursor'
import { RedisEngine } from '../../src/topics/redis/redis-engine'
import { keySlot } from '../../src/topics/redis/key-slot'
import { RedisCluster, startCluster } from '../../scripts/support/redis-cluster'
import { redisEngineContract } from '../helpers/redis-engine-contract'
import { readAll } from '../helpers/topic-io'

// The topic layer on a real 3-master Redis Cluster: every script touches one hash slot, so
// topics spread over the masters and every operation works (moves between slots answer EXDEV).

let cluster: RedisCluster
let redis: Cluster
let counter = 0

t.before(async () => {
  cluster = await startCluster(3)
  redis = cluster.client()
})
t.teardown(async () => { await cluster.stop() })

const store = (): RedisEngine => new RedisEngine(redis, { prefix: `c${counter++}:`, cluster: true, indexEvery: 512 })
const lines = (...texts: string[]): Message[] => texts.map(text => ({ payload: Buffer.from(text), verbatim: false }))


redisEngineContract(t, {
  get client () { return redis },
  cluster: true,
  commandStats: key => {
    const owner = redis.slots[keySlot(key)]?.[0]
    const node = redis.nodes('master').find(n => `${n.options.host}:${n.options.port}` === owner)
    return node ? node.info('commandstats') : Promise.reject(new Error(`no master for ${key}`))
  }
})

t.test('topics spread over the masters; append, stat, read and reset work on each', async t => {
  const s = store()
  const names = Array.from({ length: 12 }, (_, i) => `topic-${i}`)
  const slots = new Set(names.map(name => keySlot(s.keys.topic(name).stream)))
  t.ok(slots.size > 6, `${slots.size} different slots`)
  for (const name of names) {
    const { uid } = await s.create(name)
    await s.append(name, uid, lines(`${name} one`, `${name} two`))
  }
  for (const name of names) {
    t.equal((await readAll(s, name)).toString(), `${name} one\n${name} two\n`)
    t.equal((await s.statTopic(name))?.size, `${name} one\n${name} two\n`.length)
  }
  await s.reset('topic-3')
  t.equal((await s.statTopic('topic-3'))?.size, 0)
  t.same((await s.list('')).map(e => e.name), [...names].sort())
})

t.test('directories, removal, identity and rename (EXDEV across slots) on a cluster', async t => {
  const s = store()
  await s.mkdir('team')
  await s.mkdir('team/a')
  const { uid } = await s.create('team/a/orders')
  await t.rejects(s.rmdir('team/a'), { code: 'ENOTEMPTY' })
  await t.rejects(s.rename('team/a/orders', 'team/a/moved'), { code: 'EXDEV' })
  await s.remove('team/a/orders')
  await t.rejects(s.append('team/a/orders', uid, lines('x')), { message: /^ESTALE/ })
  await s.rmdir('team/a')
  t.same(await s.list('team'), [])
})

t.test('entries added by other clients, long topics and reads at any offset', async t => {
  const s = store()
  const { uid } = await s.create('mixed')
  const texts = Array.from({ length: 500 }, (_, i) => `entry ${i}`)
  await s.append('mixed', uid, lines(...texts))
  await redis.xadd(s.keys.topic('mixed').stream, '*', 'source', 'svc')
  const entries = await redis.xrangeBuffer(s.keys.topic('mixed').stream, '-', '+')
  const expected = Buffer.concat(entries.map(([, fields]) => render(fields)))
  t.equal((await s.statTopic('mixed'))?.size, expected.length)
  t.ok((await readAll(s, 'mixed')).equals(expected))
  for (const offset of [0, 777, 4000, expected.length - 5]) {
    const got = await new ReadCursor(request => s.read('mixed', request)).read(offset, 100)
    t.ok(got.equals(expected.subarray(offset, offset + 100)), `read at ${offset}`)
  }
})
