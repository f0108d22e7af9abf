import t from 'tap'
import type { Message } from '../../../../src/framing/message'
import { FollowCursor, FROM_FIRST } from '../../../../src/topics/readers/follow-cursor'
import { MemoryEngine } from '../../../../src/topics/memory/memory-engine'
import { RedisTimeoutError, RedisUnavailableError } from '../../../../src/redis/errors'
import { TopicError } from '../../../../src/topics/errors'
import { spyEngine } from '../../../helpers/engine-spy'

// Waits are on promises; the timeout only bounds a test whose wait never ends.
t.setTimeout(30_000)

const lines = (...texts: string[]): Message[] => texts.map(text => ({ payload: Buffer.from(text), verbatim: false }))
const never = new AbortController().signal

async function topic (path = 't', ...texts: string[]): Promise<{ engine: MemoryEngine, uid: string }> {
  const engine = new MemoryEngine()
  const { uid } = await engine.create(path)
  if (texts.length > 0) await engine.append(path, uid, lines(...texts))
  return { engine, uid }
}

t.test('from the first message: replays the topic, then blocks for new messages', async t => {
  const { engine, uid } = await topic('t', 'one', 'two')
  const cursor = new FollowCursor(engine, 't', uid, FROM_FIRST)
  t.equal((await cursor.read(100, never)).toString(), 'one\ntwo\n')
  let answered = false
  const next = cursor.read(100, never).then(chunk => { answered = true; return chunk })
  await new Promise(resolve => setImmediate(resolve))
  t.notOk(answered, 'blocks at the end')
  await engine.append('t', uid, lines('three'))
  t.equal((await next).toString(), 'three\n')
})

t.test('after an id: only the messages after it', async t => {
  const { engine, uid } = await topic('t', 'old')
  const cursor = new FollowCursor(engine, 't', uid, (await engine.statTopic('t'))!.lastId)
  const next = cursor.read(100, never)
  await engine.append('t', uid, lines('new'))
  t.equal((await next).toString(), 'new\n')
})

t.test('reads of a few bytes hand out every byte once, in order', async t => {
  const { engine, uid } = await topic('t', 'alpha', 'beta')
  const cursor = new FollowCursor(engine, 't', uid, FROM_FIRST)
  const parts: string[] = []
  for (let i = 0; i < 4; i++) parts.push((await cursor.read(3, never)).toString())
  t.same(parts, ['alp', 'ha\n', 'bet', 'a\n'])
  await engine.append('t', uid, lines('gamma', 'delta'))
  const more: string[] = []
  for (let i = 0; i < 3; i++) more.push((await cursor.read(5, never)).toString())
  t.same(more, ['gamma', '\ndelt', 'a\n'], 'after the replay, from the page held')
})

t.test('a reset during the follow: goes on with the messages pushed since, nothing twice', async t => {
  const { engine, uid } = await topic('t', 'a', 'b')
  const cursor = new FollowCursor(engine, 't', uid, FROM_FIRST)
  t.equal((await cursor.read(100, never)).toString(), 'a\nb\n')
  await engine.reset('t')
  await engine.append('t', uid, lines('c'))
  t.equal((await cursor.read(100, never)).toString(), 'c\n')
})

t.test('a reset during the replay ends the replay; following goes on by id', async t => {
  const { engine, uid } = await topic('t', 'first', 'second')
  const cursor = new FollowCursor(engine, 't', uid, FROM_FIRST)
  t.equal((await cursor.read(3, never)).toString(), 'fir', 'the replay has its first page')
  await engine.reset('t')
  await engine.append('t', uid, lines('new'))
  const rest: string[] = []
  for (let chunk = await cursor.read(100, never); !chunk.toString().endsWith('new\n'); chunk = await cursor.read(100, never)) rest.push(chunk.toString())
  t.equal(rest.join(''), 'st\nsecond\n', 'the page already fetched, then the new messages')
})

t.test('a removed topic ends the stream; so does one removed and created again', async t => {
  const { engine, uid } = await topic('t', 'x')
  const cursor = new FollowCursor(engine, 't', uid, FROM_FIRST)
  t.equal((await cursor.read(100, never)).toString(), 'x\n')
  const next = cursor.read(100, never)
  await engine.remove('t')
  t.equal((await next).length, 0)
  const { uid: other } = await engine.create('t')
  await engine.append('t', other, lines('not mine'))
  t.equal((await cursor.read(100, never)).length, 0, 'another topic under the same name')
  const late = new FollowCursor(engine, 't', uid, FROM_FIRST)
  t.equal((await late.read(100, never)).length, 0, 'a replay of a replaced topic is empty')
})

t.test('an abort ends a blocked read with end of file', async t => {
  const { engine, uid } = await topic('t')
  const cursor = new FollowCursor(engine, 't', uid, (await engine.statTopic('t'))!.lastId)
  const controller = new AbortController()
  const next = cursor.read(100, controller.signal)
  controller.abort()
  t.equal((await next).length, 0)
  await engine.append('t', uid, lines('later'))
  t.equal((await cursor.read(100, never)).toString(), 'later\n', 'the cursor stays usable')
})

t.test('a renamed topic is followed to its new name', async t => {
  const { engine, uid } = await topic('old', 'before')
  await engine.mkdir('d')
  const cursor = new FollowCursor(engine, 'old', uid, FROM_FIRST)
  t.equal((await cursor.read(100, never)).toString(), 'before\n')
  const next = cursor.read(100, never)
  await engine.rename('old', 'd/new')
  await engine.append('d/new', uid, lines('after'))
  t.equal((await next).toString(), 'after\n')
  t.equal(cursor.path, 'd/new')
})

t.test('a topic renamed before the replay is replayed from its new name', async t => {
  const { engine, uid } = await topic('old', 'kept')
  const cursor = new FollowCursor(engine, 'old', uid, FROM_FIRST)
  await engine.rename('old', 'new')
  t.equal((await cursor.read(100, never)).toString(), 'kept\n')
  t.equal(cursor.path, 'new')
})

t.test('messages fetched are counted', async t => {
  const { engine, uid } = await topic('t', 'a', 'b', 'c')
  const counts: number[] = []
  const cursor = new FollowCursor(engine, 't', uid, FROM_FIRST, (_direction, count) => counts.push(count))
  await cursor.read(100, never)
  const next = cursor.read(100, never)
  await engine.append('t', uid, lines('d', 'e'))
  await next
  t.equal(counts.reduce((a, b) => a + b, 0), 5)
})

t.test('a follower by id asks the engine for pages of its own size, not per message', async t => {
  const spy = spyEngine()
  const { uid } = await spy.engine.create('t')
  await spy.engine.append('t', uid, lines('before'))
  const cursor = new FollowCursor(spy.engine, 't', uid, (await spy.engine.statTopic('t'))!.lastId)
  await spy.engine.append('t', uid, lines(...Array.from({ length: 500 }, (_, i) => `m${i}`)))
  spy.calls.length = 0
  let bytes = 'before\n'.length
  while (bytes < (await spy.engine.statTopic('t'))!.size) bytes += (await cursor.read(100, never)).length
  t.equal(spy.calls.filter(call => call === 'readAfter').length, 1, 'one page held all 500 messages')
})

t.test('while the engine cannot answer (a timeout, no connection), the follower waits and goes on after its last entry', async t => {
  const { engine, uid } = await topic('t', 'one')
  const spy = spyEngine(engine)
  const cursor = new FollowCursor(spy.engine, 't', uid, FROM_FIRST)
  t.equal((await cursor.read(100, never)).toString(), 'one\n')
  spy.failNext('readAfter', new RedisTimeoutError())
  spy.failNext('readAfter', new RedisUnavailableError('Connection is closed.'))
  const next = cursor.read(100, never)
  await engine.append('t', uid, lines('two'))
  t.equal((await next).toString(), 'two\n', 'no error, no duplicate')
  t.ok(spy.calls.filter(call => call === 'readAfter').length >= 3, 'asked again after each failure')
})

t.test('a failure that is not an outage still fails the read', async t => {
  const { engine, uid } = await topic('t', 'one')
  const spy = spyEngine(engine)
  const cursor = new FollowCursor(spy.engine, 't', uid, (await engine.statTopic('t'))!.lastId)
  spy.failNext('readAfter', new TopicError('EACCES', 'NOPERM'))
  await t.rejects(cursor.read(100, never), { code: 'EACCES' })
})

t.test('Ctrl-C during an outage ends the wait at once', async t => {
  const { engine, uid } = await topic('t', 'one')
  const spy = spyEngine(engine)
  const cursor = new FollowCursor(spy.engine, 't', uid, (await engine.statTopic('t'))!.lastId)
  for (let i = 0; i < 100; i++) spy.failNext('readAfter', new RedisUnavailableError('Connection is closed.'))
  const abort = new AbortController()
  const reading = cursor.read(100, abort.signal)
  await new Promise(resolve => setTimeout(resolve, 20))
  abort.abort()
  t.equal((await reading).length, 0, 'end of file')
})

t.test('a server that came back without the topic: the follower goes on with the topic of that name, as after a reset', async t => {
  const { engine, uid } = await topic('t', 'one', 'two')
  const cursor = new FollowCursor(engine, 't', uid, FROM_FIRST)
  t.equal((await cursor.read(100, never)).toString(), 'one\ntwo\n')
  const next = cursor.read(100, never)
  engine.loseEverything()
  const again = await engine.create('t')
  await engine.append('t', again.uid, lines('three'))
  t.equal((await next).toString(), 'three\n')
})

t.test('a topic removed on the same server still ends the follower', async t => {
  const { engine, uid } = await topic('t', 'one')
  const cursor = new FollowCursor(engine, 't', uid, FROM_FIRST)
  t.equal((await cursor.read(100, never)).toString(), 'one\n')
  const next = cursor.read(100, never)
  await engine.remove('t')
  await engine.create('t')
  t.equal((await next).length, 0)
})

t.test('an outage in the middle of a replay: the replay goes on where it was, nothing twice', async t => {
  const texts = Array.from({ length: 2000 }, (_, i) => `line ${i}`)
  const { engine, uid } = await topic('t', ...texts)
  const spy = spyEngine(engine)
  const cursor = new FollowCursor(spy.engine, 't', uid, FROM_FIRST)
  const parts: Buffer[] = []
  parts.push(await cursor.read(1000, never))
  spy.failNext('read', new RedisTimeoutError())
  spy.failNext('read', new RedisUnavailableError('Connection is closed.'))
  let total = parts[0]!.length
  const expected = texts.map(text => text + '\n').join('')
  while (total < expected.length) {
    const chunk = await cursor.read(1000, never)
    parts.push(chunk)
    total += chunk.length
  }
  t.equal(Buffer.concat(parts).toString(), expected)
  t.ok(spy.calls.filter(call => call === 'read').length >= 3, 'the failed pages were asked again')
})

t.test('a follower taken over at any byte, from where its last page went out, reads on exactly', async t => {
  const texts = Array.from({ length: 60 }, (_, i) => `message ${i} ${'#'.repeat((i * 37) % 300)}`)
  const whole = texts.map(text => text + '\n').join('')
  for (const from of ['first', 'live'] as const) {
    for (const chunk of [7, 100, 4096]) {
      for (const cut of [0, 1, 50, 333, 2000, whole.length - 1]) {
        const { engine, uid } = await topic('t', ...(from === 'first' ? texts.slice(0, 30) : []))
        const opened = from === 'first' ? FROM_FIRST : (await engine.statTopic('t'))!.lastId
        const first = new FollowCursor(engine, 't', uid, opened)
        let page: { position: number, afterId: string } | undefined
        first.onPage = (position, afterId) => { page = { position, afterId } }
        if (from === 'live') await engine.append('t', uid, lines(...texts.slice(0, 30)))
        // Up to the cut, or to the end of what is there yet.
        const target = Math.min(cut, texts.slice(0, 30).join('\n').length + 1)
        let read = ''
        while (read.length < target) read += (await first.read(Math.min(chunk, target - read.length), never)).toString()
        await engine.append('t', uid, lines(...texts.slice(30)))
        const next = new FollowCursor(engine, 't', uid, opened)
        next.resume(read.length, page)
        while (read.length < whole.length) read += (await next.read(chunk, never)).toString()
        t.equal(read, whole, `${from}, reads of ${chunk}, taken over at ${cut}`)
      }
    }
  }
})

t.test('a follower taken over at the very end of its replay, before it recorded a page, goes on after the last message', async t => {
  const { engine, uid } = await topic('t', 'start')
  const first = new FollowCursor(engine, 't', uid, FROM_FIRST)
  let page: { position: number, afterId: string } | undefined
  first.onPage = (position, afterId) => { page = { position, afterId } }
  t.equal((await first.read(100, never)).toString(), 'start\n')
  t.equal(page, undefined, 'the replay\'s end is recorded by the read after it')
  const next = new FollowCursor(engine, 't', uid, FROM_FIRST)
  let recorded: { position: number, afterId: string } | undefined
  next.onPage = (position, afterId) => { recorded = { position, afterId } }
  const startId = (await engine.statTopic('t'))!.lastId
  next.resume(6, page)
  const read = next.read(100, never)
  // The replay's end is recorded before the follower waits for the next message.
  while (recorded === undefined) await new Promise(resolve => setImmediate(resolve))
  t.same(recorded, { position: 6, afterId: startId }, 'its page is recorded as after the replayed message')
  await engine.append('t', uid, lines('w0 1'))
  t.equal((await read).toString(), 'w0 1\n', 'the replayed message is not handed out again')
})
