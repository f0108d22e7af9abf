import type Redis from 'ioredis'
import t, { Test } from 'tap'
import { connectRedis } from '../../../../../src/redis/connect'
import { FollowHub } from '../../../../../src/topics/redis/follow/follow-hub'
import { RedisEngine } from '../../../../../src/topics/redis/redis-engine'
import type { Woken } from '../../../../../src/topics/types'
import { commandCalls, RedisServer, startRedis, waitFor } from '../../../../../scripts/support/redis-server'

// The multiplexed XREAD that every blocked follower of a mount waits on
// (src/topics/redis/follow/follow-hub.ts), on a real redis-server: interrupting the XREAD for a
// new stream, removals that XREAD does not see, pages handed out or not, and a lost connection.

t.setTimeout(60_000)

let server: RedisServer
/** The engines' connection, made as a mount makes it. */
let redis: Redis
/** The hubs' main connection: one that connects at once, so the hub's blocking connection does too (see the lazy-connection test). */
let main: Redis
let admin: Redis
t.before(async () => {
  server = await startRedis()
  redis = await connectRedis({ kind: 'url', url: server.url }, { name: 'follow-hub-test', commandTimeoutMs: 5000 }) as Redis
  main = server.client()
  admin = server.client()
})
t.teardown(async () => {
  redis?.disconnect()
  await server?.stop()
})

const line = (text: string) => [{ payload: Buffer.from(text), verbatim: false }]
let counter = 0

/** An engine (for the topics), and a hub of its own blocking `blockMs` per XREAD, closed at the end of the test. */
function setup (t: Test, blockMs: number, hubMain: Redis = main): { engine: RedisEngine, hub: FollowHub } {
  const engine = new RedisEngine(redis, { prefix: `fh${counter++}:`, rangedPageBytes: 0 })
  const hub = new FollowHub(hubMain, blockMs)
  t.teardown(() => hub.close())
  return { engine, hub }
}

/** Whether `promise` has settled by the time everything already under way has (a macrotask later). */
async function settled (promise: Promise<unknown>): Promise<boolean> {
  let done = false
  promise.then(() => { done = true }, () => { done = true })
  await new Promise(resolve => setImmediate(resolve))
  return done
}

const never = new AbortController().signal


t.test('a wait for a new stream interrupts the XREAD under way: the new topic\'s entry wakes it long before the block ends', async t => {
  const { engine, hub } = setup(t, 60_000)
  const a = await engine.create('a')
  const b = await engine.create('b')
  const first = hub.wait(engine.keys.topic('a'), a.lastId, a.uid, never)
  await waitFor(async () => /cmd=xread/.test(String(await admin.client('LIST'))), 5000, 'the XREAD to block')
  await admin.config('RESETSTAT')
  const second = hub.wait(engine.keys.topic('b'), b.lastId, b.uid, never)
  await engine.append('b', b.uid, line('for b'))
  const woken = await second
  t.equal(typeof woken === 'object' && woken.data.toString(), 'for b\n', 'woken with its entry, not 60 s later')
  t.ok(((await commandCalls(admin)).get('client|unblock') ?? 0) >= 1, 'by CLIENT UNBLOCK')
  t.notOk(await settled(first), 'the other waits on')
  t.equal(hub.waiting, 1)
})

t.test('a blocking connection that connects at its first XREAD (as a mount\'s does): a new stream interrupts that XREAD too', async t => {
  const lazy = await connectRedis({ kind: 'url', url: server.url }, { name: 'follow-hub-lazy', commandTimeoutMs: 5000 }) as Redis
  t.teardown(() => lazy.disconnect())
  const engine = new RedisEngine(redis, { prefix: `fh${counter++}:`, rangedPageBytes: 0 })
  const hub = new FollowHub(lazy, 3000)
  t.teardown(() => hub.close())
  const a = await engine.create('a')
  const b = await engine.create('b')
  void hub.wait(engine.keys.topic('a'), a.lastId, a.uid, never)
  await waitFor(async () => /cmd=xread/.test(String(await admin.client('LIST'))), 5000, 'the XREAD to block')
  await admin.config('RESETSTAT')
  const second = hub.wait(engine.keys.topic('b'), b.lastId, b.uid, never)
  await engine.append('b', b.uid, line('for b'))
  await second
  t.ok(((await commandCalls(admin)).get('client|unblock') ?? 0) >= 1, 'the XREAD under way was unblocked (else the wait lasted to the end of the block)')
})

t.test('a topic removed or replaced by another host, which XREAD does not tell: gone after an idle block', async t => {
  const { engine, hub } = setup(t, 50)
  const other = new RedisEngine(redis, { prefix: engine.keys.prefix })
  const removed = await engine.create('removed')
  const replaced = await engine.create('replaced')
  const stays = await engine.create('stays')
  const waits = [
    hub.wait(engine.keys.topic('removed'), removed.lastId, removed.uid, never),
    hub.wait(engine.keys.topic('replaced'), replaced.lastId, replaced.uid, never)
  ]
  const staying = hub.wait(engine.keys.topic('stays'), stays.lastId, stays.uid, never)
  await other.remove('removed')
  await other.remove('replaced')
  await other.create('replaced')
  t.same(await Promise.all(waits), ['gone', 'gone'])
  t.notOk(await settled(staying), 'a topic still there: still waiting')
})

t.test('gone() wakes the waits of that stream at once, and only those', async t => {
  const { engine, hub } = setup(t, 60_000)
  const a = await engine.create('a')
  const b = await engine.create('b')
  const onA = hub.wait(engine.keys.topic('a'), a.lastId, a.uid, never)
  const onB = hub.wait(engine.keys.topic('b'), b.lastId, b.uid, never)
  hub.gone(engine.keys.topic('a').stream)
  t.equal(await onA, 'gone')
  t.notOk(await settled(onB))
})

t.test('up to 64 topics waited on, a woken wait gets its entries; beyond, it is told to read them', async t => {
  for (const topics of [64, 65]) {
    const { engine, hub } = setup(t, 60_000)
    const created = await Promise.all(Array.from({ length: topics }, (_, i) => engine.create(`t${i}`)))
    const waits = created.map((stat, i) => hub.wait(engine.keys.topic(`t${i}`), stat.lastId, stat.uid, never))
    await waitFor(async () => hub.waiting === topics && /cmd=xread/.test(String(await admin.client('LIST'))), 5000, 'the XREAD to block')
    await engine.append('t0', created[0]!.uid, line('news'))
    const woken: Woken = await waits[0]!
    if (topics === 64) t.equal(typeof woken === 'object' && woken.data.toString(), 'news\n', '64 topics: the entries, known to be its topic\'s')
    else t.equal(woken, 'data', '65 topics: data, to be read')
    hub.close()
  }
})

t.test('a wait after an announcement of a scheduled message is woken by the next one', async t => {
  const { engine, hub } = setup(t, 60_000)
  const { uid, lastId } = await engine.create('t')
  const keys = engine.keys.topic('t')
  const plain = hub.wait(keys, lastId, uid, never)
  const scheduled = hub.wait(keys, lastId, uid, never, '0-0')
  await engine.append('t', uid, line('later'), 60_000)
  t.equal(await scheduled, 'data', 'the announcement on the due stream')
  t.notOk(await settled(plain), 'a wait without an announcement mark does not wait for them')
})

t.test('an abort ends that wait only; close ends them all, and every wait after it, and lets its connection go', async t => {
  const { engine, hub } = setup(t, 60_000)
  const { uid, lastId } = await engine.create('t')
  const keys = engine.keys.topic('t')
  const abort = new AbortController()
  const aborted = hub.wait(keys, lastId, uid, abort.signal)
  const other = hub.wait(keys, lastId, uid, never)
  abort.abort()
  t.equal(await aborted, 'aborted')
  t.notOk(await settled(other))
  t.equal(await hub.wait(keys, lastId, uid, abort.signal), 'aborted', 'a signal aborted already')
  await waitFor(async () => /name=dnpipes-follow /.test(String(await admin.client('LIST'))), 5000, 'the blocking connection')
  hub.close()
  t.equal(await other, 'aborted')
  t.equal(await hub.wait(keys, lastId, uid, never), 'aborted', 'after close')
  t.equal(hub.waiting, 0)
  await waitFor(async () => !/name=dnpipes-follow /.test(String(await admin.client('LIST'))), 5000, 'the blocking connection to go')
})

t.test('the blocking connection killed, then Redis restarted: waits go on and are woken by the next entry', async t => {
  // On the engine's connection, which reconnects (the test helper's own clients end with the server).
  const { engine, hub } = setup(t, 200, redis)
  const { uid, lastId } = await engine.create('t')
  const keys = engine.keys.topic('t')
  const clientId = async (): Promise<string | undefined> => /id=(\d+) [^\n]*name=dnpipes-follow /.exec(String(await admin.client('LIST')))?.[1]
  const first = hub.wait(keys, lastId, uid, never)
  await waitFor(async () => await clientId() !== undefined, 5000, 'the blocking connection')
  await admin.client('KILL', 'ID', (await clientId())!)
  await waitFor(async () => await clientId() !== undefined, 5000, 'the blocking connection back')
  const size = await engine.append('t', uid, line('one'))
  t.equal(typeof (await first), 'object', 'woken after the kill')

  const stat = (await engine.statTopic('t'))!
  const second = hub.wait(keys, stat.lastId, uid, never)
  await server.stop()
  await server.start()
  await waitFor(async () => redis.status === 'ready', 5000, 'the connection back')
  t.notOk(await settled(second), 'not woken by the outage')
  t.equal(await engine.append('t', uid, line('two')), size + 4)
  const woken = await second
  t.equal(typeof woken === 'object' && woken.data.toString(), 'two\n', 'woken after the restart with the new entry')
})
