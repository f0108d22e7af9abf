import type { Cluster, Redis } from 'ioredis'
import t, { Test } from 'tap'
import { connectRedis } from '../../../../../src/redis/connect'
import { missingEventFlags } from '../../../../../src/redis/keyspace-events'
import { KeyspaceHub } from '../../../../../src/topics/redis/follow/keyspace-hub'
import { RedisEngine } from '../../../../../src/topics/redis/redis-engine'
import { RedisServer, startRedis, waitFor } from '../../../../../scripts/support/redis-server'

// Followers on a Redis Cluster woken by keyspace notifications (src/topics/redis/follow/keyspace-hub.ts),
// on a real one-node Cluster (one redis-server owning every slot): the node made to publish them,
// which events wake and which do not, the catch-up of a new wait, a restarted node, and close.

t.setTimeout(60_000)

let server: RedisServer
let cluster: Cluster
t.before(async () => {
  server = await startRedis({ persistence: false, args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-announce-ip', '127.0.0.1'] })
  const admin = server.client()
  await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383')
  await waitFor(async () => /cluster_state:ok/.test(String(await admin.call('CLUSTER', 'INFO'))), 10_000, 'the one-node Cluster')
  cluster = await connectRedis({ kind: 'cluster', seeds: [{ host: '127.0.0.1', port: server.port }] }, { name: 'keyspace-test', commandTimeoutMs: 5000 }) as Cluster
})
t.teardown(async () => {
  cluster?.disconnect()
  await server?.stop()
})

const line = (text: string) => [{ payload: Buffer.from(text), verbatim: false }]
const never = new AbortController().signal
let counter = 0

/** An engine on the Cluster (for the topics) and a hub, closed at the end of the test. */
function setup (t: Test): { engine: RedisEngine, hub: KeyspaceHub } {
  const engine = new RedisEngine(cluster, { prefix: `kh${counter++}:`, cluster: true, keyspaceEvents: true, rangedPageBytes: 0 })
  const hub = new KeyspaceHub(cluster)
  t.teardown(() => hub.close())
  return { engine, hub }
}

/** Until the stream's channel has a subscriber and the node publishes what followers need. */
async function subscribed (admin: Redis, stream: string): Promise<void> {
  await waitFor(async () => {
    const [, count] = await admin.call('PUBSUB', 'NUMSUB', `__keyspace@0__:${stream}`) as [string, number]
    const [, flags] = await admin.config('GET', 'notify-keyspace-events') as [string, string]
    return count === 1 && missingEventFlags(flags) === ''
  }, 5000, `a subscription to ${stream}`)
}

/** Whether `promise` has settled by the time everything already under way has (a macrotask later). */
async function settled (promise: Promise<unknown>): Promise<boolean> {
  let done = false
  promise.then(() => { done = true }, () => { done = true })
  await new Promise(resolve => setImmediate(resolve))
  return done
}

t.test('the node is made to publish what followers need; an entry another client adds wakes the wait', async t => {
  const admin = server.client()
  await admin.config('SET', 'notify-keyspace-events', '')
  const { engine, hub } = setup(t)
  const { uid, lastId } = await engine.create('t')
  const keys = engine.keys.topic('t')
  const waiting = hub.wait(keys, lastId, uid, never)
  await subscribed(admin, keys.stream)
  t.notOk(await settled(waiting), 'nothing yet')
  await admin.xadd(keys.stream, '*', 'data', 'theirs')
  t.equal(await waiting, 'data')
  t.equal(hub.waiting, 0)
})

t.test('a wait after entries added before its subscription took effect is woken by its catch-up; one after the last, not', async t => {
  const admin = server.client()
  const { engine, hub } = setup(t)
  const a = await engine.create('a')
  const b = await engine.create('b')
  await engine.append('a', a.uid, line('before'))
  const behind = hub.wait(engine.keys.topic('a'), a.lastId, a.uid, never)
  t.equal(await behind, 'data', 'an entry after its position was there already')
  const last = (await engine.statTopic('a'))!.lastId
  const current = hub.wait(engine.keys.topic('a'), last, a.uid, never)
  const marker = hub.wait(engine.keys.topic('b'), b.lastId, b.uid, never)
  await subscribed(admin, engine.keys.topic('a').stream)
  await subscribed(admin, engine.keys.topic('b').stream)
  await engine.append('b', b.uid, line('marker'))
  t.equal(await marker, 'data')
  t.notOk(await settled(current), 'nothing after its position: waiting')
})

t.test('trims and group bookkeeping wake nothing; the removal of a topic without entries does', async t => {
  const admin = server.client()
  const { engine, hub } = setup(t)
  const a = await engine.create('a')
  const b = await engine.create('b')
  const empty = await engine.create('empty')
  await engine.append('a', a.uid, line('one'))
  const last = (await engine.statTopic('a'))!.lastId
  const onA = hub.wait(engine.keys.topic('a'), last, a.uid, never)
  const onB = hub.wait(engine.keys.topic('b'), b.lastId, b.uid, never)
  const onEmpty = hub.wait(engine.keys.topic('empty'), empty.lastId, empty.uid, never)
  for (const path of ['a', 'b', 'empty']) await subscribed(admin, engine.keys.topic(path).stream)
  const stream = engine.keys.topic('a').stream
  await admin.xgroup('CREATE', stream, 'g', '0')
  await admin.xreadgroup('GROUP', 'g', 'c', 'STREAMS', stream, '>')
  await admin.xtrim(stream, 'MAXLEN', 0)
  // Notifications come in order on one subscriber connection: the one after them tells they were heard.
  await engine.append('b', b.uid, line('marker'))
  t.equal(await onB, 'data')
  t.notOk(await settled(onA), 'XGROUP, XREADGROUP and XTRIM: still waiting')
  await engine.remove('empty')
  t.equal(await onEmpty, 'data', 'the metadata deleted: woken to find it gone')
})

t.test('close ends every wait and every wait after it, and lets the subscriber connections go', async t => {
  const admin = server.client()
  const { engine, hub } = setup(t)
  const { uid, lastId } = await engine.create('t')
  const waiting = hub.wait(engine.keys.topic('t'), lastId, uid, never)
  await subscribed(admin, engine.keys.topic('t').stream)
  hub.close()
  t.equal(await waiting, 'aborted')
  t.equal(await hub.wait(engine.keys.topic('t'), lastId, uid, never), 'aborted')
  await waitFor(async () => !/name=dnpipes-keyspace /.test(String(await admin.client('LIST'))), 5000, 'the subscriber to go')
})

t.test('the node restarted, its notifications off: the subscriber comes back, turns them on again, and wakes its waits to catch up', async t => {
  const { engine, hub } = setup(t)
  const { uid, lastId } = await engine.create('t')
  const keys = engine.keys.topic('t')
  const first = hub.wait(keys, lastId, uid, never)
  await subscribed(server.client(), keys.stream)
  await server.stop()
  await server.start()
  t.equal(await first, 'data', 'woken to read what was added meanwhile')
  const admin = server.client()
  await subscribed(admin, keys.stream)
  await waitFor(async () => /cluster_state:ok/.test(String(await admin.call('CLUSTER', 'INFO'))), 10_000, 'the Cluster back')
  const second = hub.wait(keys, lastId, uid, never)
  await admin.xadd(keys.stream, '*', 'data', 'after the restart')
  t.equal(await second, 'data', 'and another client\'s entry wakes a wait again')
})
