import t from 'tap'
import { ACK_DELAY_MS, ClaimAhead } from '../../../../src/topics/readers/claim-ahead'
import { Delivery, GroupReader, SharedReading } from '../../../../src/topics/readers/group-reader'
import { MemoryEngine } from '../../../../src/topics/memory/memory-engine'
import type { GroupPolicy } from '../../../../src/topics/types'
import { Turns } from '../../../../src/util/turns'
import { spyEngine } from '../../../helpers/engine-spy'

// Readers of one group in one process sharing what they claim ahead: on the memory engine,
// every message goes to exactly one reader, in order, with fewer claims than messages, and
// everything read is acknowledged.
t.setTimeout(30_000)

const POLICY: GroupPolicy = { visibilityMs: 60_000, maxDeliveries: 5 }
const signal = new AbortController().signal

async function topicOf (count: number): Promise<{ spy: ReturnType<typeof spyEngine>, uid: string }> {
  const spy = spyEngine(new MemoryEngine())
  const { uid } = await spy.inner.create('jobs')
  await spy.inner.append('jobs', uid, Array.from({ length: count }, (_, i) => ({ payload: Buffer.from(String(i + 1)), verbatim: false })))
  return { spy, uid }
}

const pending = async (engine: MemoryEngine | ReturnType<typeof spyEngine>['inner']): Promise<number> =>
  (await engine.groups('jobs'))?.find(group => group.name === 'w')?.pending ?? 0

t.test('readers taking messages quickly share claims: each message once, in order, all acknowledged', async t => {
  const { spy, uid } = await topicOf(200)
  const shared: SharedReading = { turns: new Turns(), ahead: new ClaimAhead(POLICY) }
  const readers = [1, 2, 3].map(() => new GroupReader(spy.engine, 'jobs', uid, 'w', 'mount', POLICY, {}, shared))
  const got: string[] = []
  const allRead = new AbortController()
  await Promise.all(readers.map(async reader => {
    let done: Delivery | undefined
    for (;;) {
      // Aborted: the reader acknowledges what it finished and stops.
      const delivery = await reader.next(allRead.signal, done)
      if (!delivery) return
      got.push(delivery.data.toString().trim())
      done = delivery
      if (got.length === 200) allRead.abort()
    }
  }))
  t.same(got, Array.from({ length: 200 }, (_, i) => String(i + 1)), 'every message once, in stream order')
  const claims = spy.calls.filter(call => call === 'claim').length
  t.ok(claims < 100, `${claims} claims for 200 messages`)
  await new Promise(resolve => setTimeout(resolve, ACK_DELAY_MS * 10))
  await shared.ahead!.close()
  t.equal(await pending(spy.inner), 0, 'every message read was acknowledged')
})

t.test('a reader whose jobs take longer than the rate window claims one message at a time', async t => {
  const { spy, uid } = await topicOf(3)
  const shared: SharedReading = { turns: new Turns(), ahead: new ClaimAhead(POLICY) }
  const reader = new GroupReader(spy.engine, 'jobs', uid, 'w', 'mount', POLICY, {}, shared)
  let done: Delivery | undefined
  for (let i = 0; i < 3; i++) {
    done = await reader.next(signal, done)
    t.equal(await pending(spy.inner), 1, 'only the message being worked on is claimed')
    await new Promise(resolve => setTimeout(resolve, 30))
  }
})
