import type Redis from 'ioredis'
import t from 'tap'
import { KeyLayout } from '../../../../../src/topics/redis/keys'
import { identities, WaiterSet } from '../../../../../src/topics/redis/follow/waiter-set'
import type { WakeReason } from '../../../../../src/topics/types'
import { RedisServer, startRedis } from '../../../../../scripts/support/redis-server'

// What every follow hub shares (src/topics/redis/follow/waiter-set.ts): the waits, what wakes
// them, the lowest id waited after per stream, and which topics are gone, on a real redis-server.

/** The set with its protected parts in reach, counting the changes it is told of. */
class OpenSet extends WaiterSet {
  changes = 0
  protected changed (): void { this.changes++ }
  streams (): Map<string, string> { return this.waitedStreams() }
  topics (): string[] { return this.waitedTopics() }
  wakeOf (stream: string, reason: WakeReason): void { this.wakeStream(stream, reason) }
  goneOf (uids: Map<string, string | null>): void { this.wakeGone(uids) }
  check (client: Redis): Promise<void> { return this.checkExistence(client) }
}

const keys = new KeyLayout('ws:')
const never = new AbortController().signal

/** Whether `promise` has settled by the time everything already under way has. */
async function settled (promise: Promise<unknown>): Promise<boolean> {
  let done = false
  promise.then(() => { done = true }, () => { done = true })
  await new Promise(resolve => setImmediate(resolve))
  return done
}

let server: RedisServer
let redis: Redis
t.before(async () => {
  server = await startRedis({ persistence: false })
  redis = server.client()
})
t.teardown(async () => {
  redis?.disconnect()
  await server?.stop()
})

t.test('each wait is counted and told to the hub; an abort ends it alone', async t => {
  const set = new OpenSet()
  const controller = new AbortController()
  const first = set.wait(keys.topic('a'), '1-0', 'u', controller.signal)
  const second = set.wait(keys.topic('a'), '1-0', 'u', never)
  t.equal(set.waiting, 2)
  t.equal(set.changes, 2)
  controller.abort()
  t.equal(await first, 'aborted')
  t.notOk(await settled(second))
  t.equal(set.waiting, 1)
  set.close()
  t.equal(await second, 'aborted', 'close ends every wait')
  t.equal(await set.wait(keys.topic('a'), '1-0', 'u', never), 'aborted', 'and a wait after close ends at once')
})

t.test('a stream wakes its own waiters, and the waiters for its announcements when they wait for them', async t => {
  const set = new OpenSet()
  const a = keys.topic('a')
  const plain = set.wait(a, '1-0', 'u', never)
  const scheduled = set.wait(a, '1-0', 'u', never, '0-0')
  const other = set.wait(keys.topic('b'), '1-0', 'u', never)
  set.wakeOf(a.due, 'data')
  t.equal(await scheduled, 'data')
  t.notOk(await settled(plain), 'a waiter without an announcement does not wake at one')
  set.gone(a.stream)
  t.equal(await plain, 'gone')
  t.notOk(await settled(other))
  set.close()
})

t.test('per stream, the lowest id waited after; announcements streams only for those that wait for them', async t => {
  const set = new OpenSet()
  const a = keys.topic('a')
  const b = keys.topic('b')
  void set.wait(a, '5-0', 'u', never)
  void set.wait(a, '3-7', 'u', never)
  void set.wait(a, '10-0', 'u', never, '2-0')
  void set.wait(b, '1-1', 'v', never)
  t.same(set.streams(), new Map([[a.stream, '3-7'], [a.due, '2-0'], [b.stream, '1-1']]))
  t.same(set.topics().sort(), [a.meta, b.meta].sort(), 'each topic once')
  set.close()
})

t.test('a topic whose identity changed or that is gone wakes its waiters; one Redis said nothing of waits on', async t => {
  const set = new OpenSet()
  const replaced = set.wait(keys.topic('r'), '1-0', 'old', never)
  const removed = set.wait(keys.topic('x'), '1-0', 'u', never)
  const same = set.wait(keys.topic('s'), '1-0', 'u', never)
  const unknown = set.wait(keys.topic('q'), '1-0', 'u', never)
  set.goneOf(new Map([[keys.topic('r').meta, 'new'], [keys.topic('x').meta, null], [keys.topic('s').meta, 'u']]))
  t.same(await Promise.all([replaced, removed]), ['gone', 'gone'])
  t.notOk(await settled(same))
  t.notOk(await settled(unknown))
  set.close()
})

t.test('identities and checkExistence read each waited topic\'s uid from Redis', async t => {
  const here = keys.topic('here')
  const away = keys.topic('away')
  await redis.hset(here.meta, 'uid', 'u1')
  t.same(await identities(redis, [here.meta, away.meta]), new Map([[here.meta, 'u1'], [away.meta, null]]))
  const set = new OpenSet()
  const staying = set.wait(here, '1-0', 'u1', never)
  const gone = set.wait(away, '1-0', 'u2', never)
  await set.check(redis)
  t.equal(await gone, 'gone')
  t.notOk(await settled(staying))
  set.close()
})
