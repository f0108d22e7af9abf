import t from 'tap'
import { RedisUnavailableError } from '../../../../src/redis/errors'
import { MemoryEngine } from '../../../../src/topics/memory/memory-engine'
import { GroupReader } from '../../../../src/topics/readers/group-reader'
import { heartbeatInterval, HeldMessage, HeldMessages } from '../../../../src/topics/readers/held-messages'
import type { GroupPolicy } from '../../../../src/topics/types'
import { pollUntil } from '../../../../src/util/deadline'
import { EngineSpy, spyEngine } from '../../../helpers/engine-spy'

// The heartbeat that keeps the messages readers work on from other readers
// (src/topics/readers/held-messages.ts): its interval, what a beat does with each answer, when it stops.

t.setTimeout(30_000)

const KEEP: GroupPolicy = { visibilityMs: 60_000, maxDeliveries: 5 }
/** A visibility timeout of 0: any other consumer's claim takes the message at once. */
const LOOSE: GroupPolicy = { visibilityMs: 0, maxDeliveries: 5 }
const never = new AbortController().signal

/** A topic with `count` messages and a reader of group `g` on it, through `spy` (a new one around a new engine when not given). */
async function readerOn (count: number, policy: GroupPolicy, spy: EngineSpy = spyEngine(new MemoryEngine())): Promise<{ spy: EngineSpy, reader: GroupReader, message: () => Promise<HeldMessage> }> {
  if (!await spy.engine.topicUid('jobs')) await spy.engine.create('jobs')
  const uid = (await spy.engine.topicUid('jobs'))!
  await spy.engine.append('jobs', uid, Array.from({ length: count }, (_, i) => ({ payload: Buffer.from(`job ${i}`), verbatim: false })))
  const reader = new GroupReader(spy.engine, 'jobs', uid, 'g', `mount@test:${Math.floor(Math.random() * 1e6)}`, policy)
  return { spy, reader, message: async () => ({ reader, delivery: (await reader.next(never))! }) }
}

const beats = (spy: EngineSpy): number => spy.calls.filter(call => call === 'holdClaim').length
const beaten = async (spy: EngineSpy, count: number): Promise<boolean> => await pollUntil(() => beats(spy) >= count, { timeoutMs: 10_000, intervalMs: 1 })

t.test('beats three times per visibility timeout, at least every millisecond', async t => {
  t.equal(heartbeatInterval(30_000), 10_000)
  t.equal(heartbeatInterval(3001), 1000, 'rounded down: never late')
  t.equal(heartbeatInterval(3), 1)
  t.equal(heartbeatInterval(2), 1, 'never 0: a timer of 0 would spin')
  t.equal(heartbeatInterval(0), 1)
})

t.test('every message held is beaten with its own delivery, again and again, until deleted', async t => {
  const { spy, message } = await readerOn(2, KEEP)
  const held = new HeldMessages(2)
  t.teardown(() => held.close())
  const [first, second] = [await message(), await message()]
  held.add(first)
  held.add(second)
  t.equal(held.size, 2)
  t.ok(await beaten(spy, 4), 'two beats of each')
  t.equal((await spy.inner.claim('jobs', 'g', 'mount@other:9', { visibilityMs: KEEP.visibilityMs, maxDeliveries: 5 }))?.kind, 'none', 'nobody else gets them')
  held.delete(first)
  held.delete(first)
  t.equal(held.size, 1, 'deleting twice deletes once')
})

t.test('a message another reader took is let go, and the owner is told, once', async t => {
  const { spy, message } = await readerOn(1, LOOSE)
  const lost: HeldMessage[] = []
  const held = new HeldMessages(2, message => lost.push(message))
  t.teardown(() => held.close())
  const mine = await message()
  t.match(await spy.inner.claim('jobs', 'g', 'mount@other:9', LOOSE), { kind: 'message', deliveries: 2 }, 'another consumer took it')
  held.add(mine)
  // The beat's timer does not keep the process alive (unref): a poll does, while the test waits.
  t.ok(await pollUntil(() => lost.length > 0, { timeoutMs: 10_000, intervalMs: 1 }))
  t.same(lost, [mine])
  t.equal(held.size, 0, 'no longer held')
})

t.test('a beat that fails keeps the message held: the next beat tries again, and nobody is told it is lost', async t => {
  const { spy, message } = await readerOn(1, KEEP)
  const lost: HeldMessage[] = []
  const held = new HeldMessages(2, message => lost.push(message))
  t.teardown(() => held.close())
  const mine = await message()
  spy.failNext('holdClaim', new RedisUnavailableError('Connection is closed.'))
  spy.failNext('holdClaim', new Error('something else'))
  held.add(mine)
  t.ok(await beaten(spy, 3), 'two failed beats, then one that holds')
  t.equal(held.size, 1)
  t.same(lost, [])
})

t.test('a message deleted while its beat is under way is not told lost when the beat says it is not ours', async t => {
  const { spy, message } = await readerOn(1, LOOSE)
  const lost: HeldMessage[] = []
  const held = new HeldMessages(2, message => lost.push(message))
  t.teardown(() => held.close())
  const mine = await message()
  await spy.inner.claim('jobs', 'g', 'mount@other:9', LOOSE)
  const release = spy.hold('holdClaim')
  held.add(mine)
  t.ok(await beaten(spy, 1), 'a beat is under way')
  held.delete(mine)
  release()
  // Let the held beat answer: its holdClaim, then the beat's own handling of it.
  t.equal(await spy.inner.holdClaim('jobs', 'g', mine.reader.consumer, mine.delivery.id, mine.delivery.deliveries), false, 'not ours')
  await new Promise(resolve => setImmediate(resolve))
  t.same(lost, [], 'its reader finished with it: nothing lost')
})

t.test('no beats once the last message is deleted, or after close; a message added after close is beaten again', async t => {
  const engine = new MemoryEngine()
  const stopped = await readerOn(3, KEEP, spyEngine(engine))
  const going = await readerOn(1, KEEP, spyEngine(engine))
  const held = new HeldMessages(2)
  const witness = new HeldMessages(2)
  t.teardown(() => { held.close(); witness.close() })

  const first = await stopped.message()
  held.add(first)
  t.ok(await beaten(stopped.spy, 1))
  held.delete(first)
  const afterDelete = beats(stopped.spy)
  witness.add(await going.message())
  // Timers of one interval fire in the order they were set: three beats of the witness are three chances for the other.
  t.ok(await beaten(going.spy, 3))
  t.equal(beats(stopped.spy), afterDelete, 'none after the last was deleted')

  held.add(await stopped.message())
  held.add(await stopped.message())
  t.ok(await beaten(stopped.spy, afterDelete + 2))
  held.close()
  t.equal(held.size, 0)
  const afterClose = beats(stopped.spy)
  const witnessed = beats(going.spy)
  t.ok(await beaten(going.spy, witnessed + 3))
  t.equal(beats(stopped.spy), afterClose, 'none after close')

  held.add(first)
  t.ok(await beaten(stopped.spy, afterClose + 1), 'added again: beaten again')
})
