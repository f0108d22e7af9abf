import t from 'tap'
import type { Message } from '../../../../src/framing/message'
import { MemoryTopic } from '../../../../src/topics/memory/memory-topic'
import { MemoryWaits } from '../../../../src/topics/memory/memory-waits'

// The memory engine's waiting followers and scheduled-message timers
// (src/topics/memory/memory-waits.ts). Waits are on promises; the timeout only bounds a test
// whose wait never ends.
t.setTimeout(30_000)

const lines = (...texts: string[]): Message[] => texts.map(text => ({ payload: Buffer.from(text), verbatim: false }))
const never = new AbortController().signal

t.test('a follower is woken by an entry after the one it waits after, not by others\' topics', async t => {
  const waits = new MemoryWaits()
  const topic = new MemoryTopic()
  const other = new MemoryTopic()
  let woken: unknown
  const waiting = waits.wait('t', topic, topic.lastId, never).then(reason => { woken = reason })
  other.append(lines('elsewhere'))
  waits.wakeFollowers(other)
  waits.wakeFollowers(topic)
  await new Promise(resolve => setImmediate(resolve))
  t.equal(woken, undefined, 'nothing to read yet')
  topic.append(lines('one'))
  waits.wakeFollowers(topic)
  await waiting
  t.equal(woken, 'data')
})

t.test('a scheduled message enters when due and wakes the followers', async t => {
  const waits = new MemoryWaits()
  const topic = new MemoryTopic()
  const before = topic.lastId
  topic.schedule(lines('later'), 30)
  // The due timer is unref'd (it never holds a process open): this holds the test's open.
  const alive = setInterval(() => undefined, 1000)
  t.teardown(() => clearInterval(alive))
  waits.enterWhenDue(topic)
  t.notOk(topic.hasAfter(before), 'not in the topic before it is due')
  t.equal(await waits.wait('t', topic, before, never), 'data')
  t.ok(topic.hasAfter(before), 'entered')
})

t.test('a dropped topic wakes its followers with "gone" and stops its timer', async t => {
  const waits = new MemoryWaits()
  const topic = new MemoryTopic()
  const before = topic.lastId
  topic.schedule(lines('never'), 20)
  waits.enterWhenDue(topic)
  const waiting = waits.wait('t', topic, before, never)
  waits.dropped('t', topic)
  t.equal(await waiting, 'gone')
  await new Promise(resolve => setTimeout(resolve, 60))
  t.notOk(topic.hasAfter(before), 'its scheduled message never entered')
})

t.test('endAll wakes every follower with its reason; an aborted wait ends with "aborted"', async t => {
  const waits = new MemoryWaits()
  const topic = new MemoryTopic()
  const first = waits.wait('a', topic, topic.lastId, never)
  const second = waits.wait('b', new MemoryTopic(), '0-0', never)
  waits.endAll('aborted')
  t.same(await Promise.all([first, second]), ['aborted', 'aborted'])
  const controller = new AbortController()
  const aborted = waits.wait('a', topic, topic.lastId, controller.signal)
  controller.abort()
  t.equal(await aborted, 'aborted')
})
