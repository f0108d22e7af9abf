import t from 'tap'
import { GroupFile, ProcessProbe } from '../../../../src/mount/views/group-file'
import { GroupReader } from '../../../../src/topics/readers/group-reader'
import { HeldMessages } from '../../../../src/topics/readers/held-messages'
import { MemoryEngine } from '../../../../src/topics/memory/memory-engine'
import type { GroupPolicy } from '../../../../src/topics/types'

// Waits are on promises; the timeout only bounds a test whose wait never ends.
t.setTimeout(30_000)

const line = (text: string) => ({ payload: Buffer.from(text), verbatim: false })
const POLICY: GroupPolicy = { visibilityMs: 60_000, maxDeliveries: 5 }
const AT_ONCE: GroupPolicy = { visibilityMs: 0, maxDeliveries: 5 }
const READER_PID = 100

/** Processes as /proc would show them: each thread is its own process; `killed` are dying of a signal. */
function probe (killed: Set<number> = new Set()): ProcessProbe {
  return { processOf: async tid => tid, dyingOfSignal: async tid => killed.has(tid) }
}

async function setup (...messages: string[]): Promise<{ engine: MemoryEngine, uid: string, file: (processes?: ProcessProbe) => GroupFile, held: HeldMessages }> {
  const engine = new MemoryEngine()
  const { uid } = await engine.create('jobs')
  if (messages.length > 0) await engine.append('jobs', uid, messages.map(line))
  const held = new HeldMessages(60_000)
  t.teardown(() => held.close())
  const file = (processes = probe()) => new GroupFile(new GroupReader(engine, 'jobs', uid, 'w', 'mount', POLICY), held, processes)
  return { engine, uid, file, held }
}

const pending = async (engine: MemoryEngine): Promise<number> => (await engine.groups('jobs'))?.find(group => group.name === 'w')?.pending ?? 0
const signal = new AbortController().signal

t.test('each read returns bytes of one message; reading on past it acknowledges it', async t => {
  const { engine, file, held } = await setup('first', 'second')
  const reader = file()
  t.equal((await reader.read(0, 4096, signal, READER_PID)).toString(), 'first\n', 'one message, though the buffer holds both')
  t.equal(await pending(engine), 1)
  t.equal(held.size, 1, 'held while being read')
  t.equal((await reader.read(6, 4096, signal, READER_PID)).toString(), 'second\n')
  t.equal(await pending(engine), 1, 'first acknowledged, second pending')
})

t.test('a message longer than the buffer spans several reads; seeking back gives the same bytes', async t => {
  const { engine, file } = await setup('abcdefgh', 'next')
  const reader = file()
  t.equal((await reader.read(0, 3, signal, READER_PID)).toString(), 'abc')
  t.equal((await reader.read(3, 3, signal, READER_PID)).toString(), 'def')
  t.equal((await reader.read(1, 4, signal, READER_PID)).toString(), 'bcde', 'back within what it was given')
  t.equal((await reader.read(6, 100, signal, READER_PID)).toString(), 'gh\n', 'the rest of the message, no more')
  t.equal((await reader.read(9, 100, signal, READER_PID)).toString(), 'next\n')
  t.equal(await pending(engine), 1)
})

t.test('the last close acknowledges once the reader closed alive; a close by another process changes nothing', async t => {
  const { engine, file, held } = await setup('job')
  const reader = file()
  await reader.read(0, 100, signal, READER_PID)
  await reader.flush(READER_PID + 1)
  t.equal(await pending(engine), 1, 'a child closing its inherited copy')
  await reader.flush(READER_PID)
  t.equal(await pending(engine), 1, 'a close of one descriptor decides nothing yet')
  t.equal(held.size, 1, 'still held')
  await reader.release()
  t.equal(await pending(engine), 0, 'acknowledged at the last close')
  t.equal(held.size, 0)
})

t.test('a reader that closed a duplicate alive, then died of a signal: its message goes back', async t => {
  const { engine, file, held } = await setup('job')
  const killed = new Set<number>()
  const reader = file(probe(killed))
  await reader.read(0, 100, signal, READER_PID)
  await reader.flush(READER_PID)
  t.equal(await pending(engine), 1, 'the dup of `read job <&3` closed: still pending')
  killed.add(READER_PID)
  await reader.flush(READER_PID)
  t.equal(held.size, 0, 'let go when its reader died')
  await reader.release()
  t.equal(await pending(engine), 1, 'never acknowledged')
  t.match(await engine.claim('jobs', 'w', 'other', AT_ONCE), { kind: 'message', deliveries: 2 }, 'another reader gets it')
})

t.test('the last close by another process, after the reader died: nothing acknowledged', async t => {
  const { engine, file } = await setup('job')
  const killed = new Set([READER_PID])
  const reader = file(probe(killed))
  await reader.read(0, 100, signal, READER_PID)
  await reader.flush(READER_PID + 1)
  await reader.flush(READER_PID)
  await reader.flush(READER_PID + 2)
  await reader.release()
  t.equal(await pending(engine), 1)
})

t.test('reading on after closing a duplicate acknowledges the previous message at once', async t => {
  const { engine, file } = await setup('a', 'b')
  const reader = file()
  await reader.read(0, 100, signal, READER_PID)
  await reader.flush(READER_PID)
  t.equal((await reader.read(2, 100, signal, READER_PID)).toString(), 'b\n')
  t.equal(await pending(engine), 1, 'a acknowledged, b pending')
  await reader.release()
  t.equal(await pending(engine), 1, 'b: its reader never closed the file alive after reading it')
})

t.test('a reader killed by a signal: its message goes back, unacknowledged and no longer held', async t => {
  const { engine, file, held } = await setup('job')
  const reader = file(probe(new Set([READER_PID])))
  await reader.read(0, 100, signal, READER_PID)
  await reader.flush(READER_PID)
  t.equal(held.size, 0, 'not held')
  t.equal(await pending(engine), 1, 'not acknowledged')
  await reader.release()
  const again = await engine.claim('jobs', 'w', 'other', AT_ONCE)
  t.match(again, { kind: 'message', deliveries: 2 }, 'another reader gets it')
})

t.test('the last close with a message still held lets it go unacknowledged', async t => {
  const { engine, file, held } = await setup('job')
  const reader = file()
  await reader.read(0, 100, signal, undefined)
  await reader.release()
  t.equal(held.size, 0)
  t.equal(await pending(engine), 1)
})

t.test('a blocked read waits for the next message; aborted, it claims nothing', async t => {
  const { engine, uid, file } = await setup()
  const reader = file()
  const reading = reader.read(0, 100, signal, READER_PID)
  await engine.append('jobs', uid, [line('late')])
  t.equal((await reading).toString(), 'late\n')
  const abort = new AbortController()
  const blocked = reader.read(5, 100, abort.signal, READER_PID)
  abort.abort()
  t.equal((await blocked).length, 0, 'end of file for the aborted read')
  t.equal(await pending(engine), 0, 'late acknowledged by the read after it, nothing else claimed')
  await engine.append('jobs', uid, [line('for another')])
  t.match(await engine.claim('jobs', 'w', 'other', POLICY), { kind: 'message', deliveries: 1 })
})

t.test('a removed topic ends the reads', async t => {
  const { engine, file } = await setup()
  const reader = file()
  const reading = reader.read(0, 100, signal, READER_PID)
  await engine.remove('jobs')
  t.equal((await reading).length, 0)
})

t.test('dead letters go to TOPIC.dead, made with the topic\'s ownership', async t => {
  const engine = new MemoryEngine()
  const { uid } = await engine.create('jobs', { owner: 1000, group: 1000, mode: 0o640 })
  await engine.append('jobs', uid, [line('poison')])
  const reader = new GroupReader(engine, 'jobs', uid, 'w', 'mount', { visibilityMs: 0, maxDeliveries: 1 })
  const delivery = await reader.next(signal)
  t.equal(delivery?.deliveries, 1)
  await engine.append('jobs', uid, [line('fine')])
  const next = await reader.next(signal)
  t.equal(next?.data.toString(), 'fine\n', 'the poison message was moved out of the way')
  t.match(await engine.statTopic('jobs.dead'), { entries: 1, owner: 1000, group: 1000, mode: 0o640 })
  const dead = await engine.read('jobs.dead', { gen: '', offset: 0, afterId: '', afterPos: 0, maxBytes: 100 })
  t.equal(dead?.data.toString(), 'poison\n')
  t.equal((await engine.groups('jobs'))![0]!.pending, 1, 'only fine is pending')
})
