import t from 'tap'
import { ConsumerSweeps } from '../../../../src/topics/readers/consumer-sweeps'
import { GroupReader } from '../../../../src/topics/readers/group-reader'
import { MemoryEngine } from '../../../../src/topics/memory/memory-engine'
import type { GroupPolicy } from '../../../../src/topics/types'
import { sleep } from '../../../../src/util/deadline'
import { spyEngine } from '../../../helpers/engine-spy'

// How a group reader sweeps the consumers that mounts and workers gone for good left in its
// group (TopicEngine.sweepConsumers; the engines' part is in test/helpers/contract/groups/).

t.setTimeout(30_000)

const line = (text: string) => ({ payload: Buffer.from(text), verbatim: false })
/** Idle past 3 visibility timeouts (300 ms) with nothing pending: swept. */
const POLICY: GroupPolicy = { visibilityMs: 100, maxDeliveries: 5 }

/** A topic whose group `w` has the consumer of a mount that is gone, idle past the threshold. */
async function withGoneConsumer () {
  const spy = spyEngine(new MemoryEngine())
  const { uid } = await spy.engine.create('jobs')
  await spy.engine.append('jobs', uid, [line('done by the gone mount')])
  const claim = await spy.engine.claim('jobs', 'w', 'mount@gone:1', POLICY)
  if (claim?.kind !== 'message') throw new Error('expected a message')
  await spy.engine.acknowledge('jobs', 'w', claim.id)
  await sleep(350)
  spy.calls.length = 0
  const consumers = async (): Promise<number | undefined> => (await spy.engine.groups('jobs'))?.[0]?.consumers
  const sweeps = (): number => spy.calls.filter(call => call === 'sweepConsumers').length
  return { spy, uid, consumers, sweeps }
}

t.test('readers waiting for messages sweep the group once per interval for the process, not once each', async t => {
  const { spy, uid, consumers, sweeps } = await withGoneConsumer()
  const shared = new ConsumerSweeps()
  const stop = new AbortController()
  const readers = [1, 2].map(() => new GroupReader(spy.engine, 'jobs', uid, 'w', 'mount@here:2', POLICY, {}, undefined, shared))
  const reads = readers.map(reader => reader.next(stop.signal))
  await sleep(150)
  t.equal(sweeps(), 1, 'one sweep, though both readers waited and claimed again')
  t.equal(await consumers(), 1, 'the gone mount\'s consumer was removed; the readers\' own stays')
  stop.abort()
  t.same(await Promise.all(reads), [undefined, undefined])
})

t.test('a claim that hands out a message sweeps nothing', async t => {
  const { spy, uid, consumers, sweeps } = await withGoneConsumer()
  await spy.engine.append('jobs', uid, [line('job')])
  const reader = new GroupReader(spy.engine, 'jobs', uid, 'w', 'mount@here:2', POLICY)
  t.equal((await reader.next(new AbortController().signal))?.data.toString(), 'job\n')
  t.equal(sweeps(), 0)
  t.equal(await consumers(), 2)
})

t.test('a sweep that fails does not fail the read: the reader waits on and gets the next message', async t => {
  const { spy, uid, sweeps } = await withGoneConsumer()
  spy.failNext('sweepConsumers', new Error('READONLY You can\'t write against a read only replica.'))
  const reader = new GroupReader(spy.engine, 'jobs', uid, 'w', 'mount@here:2', POLICY)
  const read = reader.next(new AbortController().signal)
  await sleep(50)
  t.equal(sweeps(), 1, 'it tried')
  await spy.engine.append('jobs', uid, [line('job')])
  t.equal((await read)?.data.toString(), 'job\n')
})
