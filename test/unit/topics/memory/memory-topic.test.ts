import t from 'tap'
import type { Message } from '../../../../src/framing/message'
import { MemoryTopic } from '../../../../src/topics/memory/memory-topic'
import { fakeClock } from '../../../helpers/fake-clock'

// One topic held in memory (src/topics/memory/memory-topic.ts): its ids, byte positions, reads by
// offset and by id, trims, scheduled messages and the writes it remembers, on a clock the test sets.

const lines = (...texts: string[]): Message[] => texts.map(text => ({ payload: Buffer.from(text), verbatim: false }))

/** Date.now() answers what the test sets, until the test ends. */
const clock = fakeClock

t.test('ids are made as XADD * makes them: the clock\'s ms, a sequence within one ms, never going back', async t => {
  const time = clock(t, 1000)
  const topic = new MemoryTopic()
  t.equal(topic.lastId, '0-0', 'an empty topic: the id before every entry')
  t.equal(topic.firstId, undefined)
  topic.append(lines('a', 'b', 'c'))
  t.equal(topic.firstId, '1000-0')
  t.equal(topic.lastId, '1000-2', 'three in one ms')
  time.now = 900
  topic.append(lines('d'))
  t.equal(topic.lastId, '1000-3', 'a clock that went back: the last ms, next sequence')
  time.now = 2000
  topic.append(lines('e'))
  t.equal(topic.lastId, '2000-0', 'a new ms starts the sequence at 0')
  topic.reset()
  t.equal(topic.lastId, '0-0', 'a reset leaves no entry')
  time.now = 1500
  topic.append(lines('f'))
  t.equal(topic.lastId, '2000-1', 'but the ids made go on after the last one')
})

t.test('times: ctime and mtime from the constructor, mtime from the last id, ctime from chmod, delay and rename', async t => {
  const time = clock(t, 5000)
  const topic = new MemoryTopic({ owner: 7, group: 8, mode: 0o100640 }, 1234)
  t.match(topic.stat(), { ctimeMs: 1234, mtimeMs: 1234, owner: 7, group: 8, mode: 0o640 }, 'the mode keeps its permission bits only')
  topic.append(lines('x'))
  t.match(topic.stat(), { ctimeMs: 1234, mtimeMs: 5000 })
  time.now = 6000
  topic.changeOwnership({ mode: 0o600 })
  t.match(topic.stat(), { ctimeMs: 6000, mtimeMs: 5000, owner: 7, mode: 0o600 }, 'chmod moves the ctime only, and changes only what it gives')
  time.now = 7000
  topic.setDelay(100)
  t.match(topic.stat(), { ctimeMs: 7000, mtimeMs: 5000, delayMs: 100 })
  time.now = 8000
  topic.touch()
  t.equal(topic.stat().ctimeMs, 8000)
  topic.setDelay(undefined)
  t.notOk('delayMs' in topic.stat(), 'a lifted delay is not in the stat')
  time.now = 9000
  topic.reset()
  t.match(topic.stat(), { mtimeMs: 9000, ctimeMs: 8000, gen: '1' }, 'a reset moves the mtime and the generation')
})

t.test('a read by offset: the whole entries reaching into the range, placed at the byte they start at', async t => {
  clock(t, 1)
  const topic = new MemoryTopic()
  // "aa\n" at 0, "bbb\n" at 3, "c\n" at 7: 9 bytes.
  topic.append(lines('aa', 'bbb', 'c'))
  const gen = topic.generation
  t.match(topic.read(0, 1, undefined, gen), { base: 0, firstPos: 0, count: 1, lastId: '1-0' }, 'the last entry taken may go past maxBytes')
  t.equal(topic.read(0, 1, undefined, gen).data.toString(), 'aa\n')
  const middle = topic.read(4, 100, 0, gen)
  t.match(middle, { firstPos: 3, count: 2, lastId: '1-2' }, 'from inside an entry: from its start')
  t.equal(middle.data.toString(), 'bbb\nc\n')
  t.match(topic.read(9, 100, 0, gen), { firstPos: 9, count: 0, lastId: '' }, 'at the end: nothing, at the end')
  t.match(topic.read(50, 100, 0, gen), { firstPos: 9, count: 0 }, 'past the end: the end')
  t.match(topic.read(0, 0, 0, gen), { firstPos: 9, count: 0 }, 'nothing asked: nothing taken')
})

t.test('after a trim a reader keeps its base; one whose next entry was trimmed away gets end of file; a reset starts the bases again', async t => {
  clock(t, 1)
  const topic = new MemoryTopic()
  topic.append(lines('aa', 'bbb', 'c'))
  const gen = topic.generation
  topic.retain({ messages: 1 }, {})
  t.match(topic.stat(), { size: 2, entries: 1 })
  t.match(topic.read(3, 100, 0, gen), { base: 0, firstPos: 3, count: 0 }, 'a reader at 3 of base 0: its next entry is gone')
  const on = topic.read(7, 100, 0, gen)
  t.match(on, { base: 0, firstPos: 7, count: 1 }, 'the same reader at 7 still reads "c"')
  t.equal(on.data.toString(), 'c\n')
  const fresh = topic.read(0, 100, undefined, gen)
  t.match(fresh, { base: 7, firstPos: 0, count: 1 }, 'a new reader counts from the oldest entry kept')
  topic.reset()
  topic.append(lines('new'))
  const after = topic.read(0, 100, 7, gen)
  t.match(after, { base: 0, firstPos: 0, count: 1 }, 'a base of an older generation is dropped: from the head')
  t.equal(after.data.toString(), 'new\n')
})

t.test('retention of the mount applies at a stat and an append, a topic\'s own limits first', async t => {
  clock(t, 1)
  const topic = new MemoryTopic()
  topic.append(lines('1', '2', '3', '4'), {})
  t.equal(topic.stat({ messages: 2 }).entries, 2, 'the defaults trim at a stat')
  t.equal(topic.append(lines('5'), { messages: 2 }), 4, 'and at an append, which answers the size kept')
  topic.retain({ messages: 3 }, { messages: 1 })
  topic.append(lines('6', '7'), { messages: 1 })
  t.equal(topic.stat({ messages: 1 }).entries, 3, 'its own limit, not the default')
  t.equal(topic.readAfter('0-0', 100).data.toString(), '5\n6\n7\n')
})

t.test('a read by id: entries after it, up to about maxBytes; nothing after the last', async t => {
  clock(t, 1)
  const topic = new MemoryTopic()
  topic.append(lines('one', 'two', 'three'))
  const page = topic.readAfter('1-0', 5)
  t.match(page, { count: 2, lastId: '1-2', firstPos: 4 }, 'the entry that reaches past maxBytes is taken whole')
  t.equal(page.data.toString(), 'two\nthree\n')
  t.match(topic.readAfter('1-2', 100), { count: 0, lastId: '', firstPos: 14 })
  t.match(topic.readAfter('9-0', 100), { count: 0 }, 'an id after every entry')
  t.equal(topic.readAfter('0-5', 4).data.toString(), 'one\n', 'an id before every entry')
})

t.test('what the groups look up: an entry by id, the first after an id, how many after one', async t => {
  clock(t, 1)
  const topic = new MemoryTopic()
  topic.append(lines('a', 'b', 'c'))
  t.equal(topic.entry('1-1')?.id, '1-1')
  t.equal(topic.entry('1-5'), undefined, 'no entry of that id')
  t.equal(topic.entry('0-9'), undefined, 'an id between entries')
  t.equal(topic.entryAfter('1-0')?.id, '1-1')
  t.equal(topic.entryAfter('1-2'), undefined)
  t.equal(topic.countAfter('0-0'), 3)
  t.equal(topic.countAfter('1-1'), 1)
  t.equal(topic.countAfter('2-0'), 0)
  t.ok(topic.hasAfter('1-1'))
  t.notOk(topic.hasAfter('1-2'))
})

t.test('scheduled messages enter in due order, those due at one time in the order they were pushed', async t => {
  const time = clock(t, 10_000)
  const topic = new MemoryTopic()
  const late = lines('late')
  topic.schedule(late, 5000)
  topic.schedule(lines('b1', 'b2'), 1000)
  topic.schedule(lines('a'), 500)
  late[0]!.payload.write('LATE')
  t.equal(topic.nextDueMs, 10_500, 'the earliest due')
  t.equal(topic.stat().scheduled, 4)
  t.equal(topic.stat().entries, 0, 'nothing due yet')
  time.now = 11_000
  t.equal(topic.enterDue(), 3, 'due at 10 500 and 11 000: three')
  t.equal(topic.enterDue(), 0, 'none more')
  t.equal(topic.nextDueMs, 15_000)
  time.now = 20_000
  topic.append(lines('pushed'))
  t.equal(topic.readAfter('0-0', 1000).data.toString(), 'a\nb1\nb2\nlate\npushed\n', 'due ones enter before an append; the caller\'s buffer was copied')
  t.equal(topic.nextDueMs, undefined)
})

t.test('due messages enter at a read from offset 0 or by id, not at a read further on', async t => {
  const time = clock(t, 1)
  const topic = new MemoryTopic()
  topic.append(lines('x'))
  topic.schedule(lines('due'), 10)
  time.now = 100
  t.equal(topic.read(2, 100, 0, topic.generation).count, 0, 'at offset 2 the scheduled message stays out')
  t.equal(topic.nextDueMs, 11)
  t.equal(topic.read(0, 100, undefined, topic.generation).count, 2, 'at offset 0 it enters')
  topic.schedule(lines('due too'), 10)
  time.now = 200
  t.equal(topic.readAfter('1-0', 100).count, 2, 'a read by id enters it too')
})

t.test('a reset drops the entries and the scheduled messages; identity, limits and delay stay', async t => {
  clock(t, 1)
  const topic = new MemoryTopic()
  const uid = topic.uid
  topic.setDelay(60_000)
  topic.retain({ bytes: 100 }, {})
  topic.append(lines('kept?'))
  topic.schedule(lines('later'), 60_000)
  topic.reset()
  t.match(topic.stat(), { uid, size: 0, entries: 0, scheduled: 0, delayMs: 60_000, retention: { bytes: 100 }, gen: '1' })
  t.equal(topic.nextDueMs, undefined)
  t.not(new MemoryTopic().uid, uid, 'another topic has another identity')
})

t.test('writes noted: each writer\'s last 64 requests, a request noted again is refused', async t => {
  const topic = new MemoryTopic()
  t.ok(topic.noteWrite('w1', 'r0'))
  t.notOk(topic.noteWrite('w1', 'r0'), 'the same request again')
  t.ok(topic.noteWrite('w2', 'r0'), 'another writer\'s request of that number')
  for (let i = 1; i < 64; i++) t.ok(topic.noteWrite('w1', `r${i}`))
  t.notOk(topic.noteWrite('w1', 'r0'), 'still remembered at 64')
  t.ok(topic.noteWrite('w1', 'r64'), 'the 65th')
  t.ok(topic.noteWrite('w1', 'r0'), 'the oldest is forgotten')
  t.notOk(topic.noteWrite('w1', 'r63'), 'the newest are kept')
  t.notOk(topic.noteWrite('w2', 'r0'), 'the other writer\'s list is its own')
})
