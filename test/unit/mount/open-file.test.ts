import t from 'tap'
import type { Framing } from '../../../src/framing/message'
import { OpenFile } from '../../../src/mount/open-file'
import type { TopicEngine } from '../../../src/topics/engine'
import { TopicError } from '../../../src/topics/errors'
import { MemoryEngine } from '../../../src/topics/memory/memory-engine'
import { messagesOf, readAll } from '../../helpers/topic-io'
import { spyEngine } from '../../helpers/engine-spy'

async function opened (framing: Framing = 'line', engine: TopicEngine = new MemoryEngine()) {
  const { uid } = await engine.create('t')
  const counts = { pushed: 0, read: 0 }
  const file = new OpenFile(engine, 't', uid, true, framing, (direction, count) => { counts[direction] += count })
  return { engine, uid, file, counts }
}


t.test('line framing: each complete line is a message; a partial line waits for the flush', async t => {
  const { engine, file, counts } = await opened()
  await file.write(Buffer.from('one\ntwo\nthr'))
  t.same(await messagesOf(engine, 't'), ['one\n', 'two\n'])
  await file.write(Buffer.from('ee\nfo'))
  t.same(await messagesOf(engine, 't'), ['one\n', 'two\n', 'three\n'], 'the line completed by the next write')
  await file.flush()
  t.same(await messagesOf(engine, 't'), ['one\n', 'two\n', 'three\n', 'fo'], 'the rest pushed verbatim, without a newline')
  t.equal((await readAll(engine, 't')).toString(), 'one\ntwo\nthree\nfo', 'reads back byte for byte')
  await file.flush()
  t.equal((await messagesOf(engine, 't')).length, 4, 'a second flush pushes nothing')
  t.equal(counts.pushed, 4)
})

t.test('write framing: each write is one verbatim message', async t => {
  const { engine, file } = await opened('write')
  await file.write(Buffer.from('a'))
  await file.write(Buffer.from('b\nc\n'))
  await file.flush()
  t.same(await messagesOf(engine, 't'), ['a', 'b\nc\n'])
})

t.test('reads see the topic from any offset, at its path of today', async t => {
  const { engine, uid, file, counts } = await opened()
  await engine.append('t', uid, [{ payload: Buffer.from('hello'), verbatim: false }, { payload: Buffer.from('world'), verbatim: false }])
  t.equal((await file.cursor.read(0, 100)).toString(), 'hello\nworld\n')
  t.equal((await file.cursor.read(6, 3)).toString(), 'wor')
  t.ok(counts.read >= 2)
  await engine.rename('t', 'u')
  file.path = 'u'
  t.equal((await file.cursor.read(0, 100)).toString(), 'hello\nworld\n')
  await file.write(Buffer.from('more\n'))
  t.equal((await readAll(engine, 'u')).toString(), 'hello\nworld\nmore\n', 'writes go there too')
})

t.test('writes through one file are applied one after another, in order', async t => {
  const spy = spyEngine()
  const { engine, file } = await opened('line', spy.engine)
  const release = spy.hold('append')
  const writes = ['1\n', '2\n', '3\n'].map(text => file.write(Buffer.from(text)))
  t.same(await messagesOf(spy.inner, 't'), [], 'nothing yet: the first append is held')
  release()
  await Promise.all(writes)
  t.same(await messagesOf(engine, 't'), ['1\n', '2\n', '3\n'])
})

t.test('a failed write leaves no bytes behind to surface in a later message', async t => {
  const spy = spyEngine()
  const { engine, file } = await opened('line', spy.engine)
  await file.write(Buffer.from('held '))
  spy.failNext('append', new TopicError('EIO', 'lost'))
  await t.rejects(file.write(Buffer.from('failed\n')), { code: 'EIO' })
  await file.write(Buffer.from('kept\n'))
  t.same(await messagesOf(engine, 't'), ['held kept\n'], 'the partial line from before stays; the failed bytes do not')
})

t.test('a failure does not stop the writes queued behind it', async t => {
  const spy = spyEngine()
  const { engine, file } = await opened('line', spy.engine)
  spy.failNext('append', new TopicError('EIO', 'lost'))
  const first = file.write(Buffer.from('a\n'))
  const second = file.write(Buffer.from('b\n'))
  await t.rejects(first, { code: 'EIO' })
  await second
  t.same(await messagesOf(engine, 't'), ['b\n'])
})

t.test('a flush that fails reports it and drops the partial line', async t => {
  const spy = spyEngine()
  const { engine, file } = await opened('line', spy.engine)
  await file.write(Buffer.from('partial'))
  spy.failNext('append', new TopicError('EIO', 'lost'))
  await t.rejects(file.flush(), { code: 'EIO' })
  await file.flush()
  t.same(await messagesOf(engine, 't'), [])
})

t.test('the topic removed: writes and the flush of a partial line are ESTALE, even once recreated', async t => {
  const { engine, file } = await opened()
  await file.write(Buffer.from('before\npartial'))
  await engine.remove('t')
  await engine.create('t')
  await t.rejects(file.write(Buffer.from('lost\n')), { code: 'ESTALE' })
  await t.rejects(file.flush(), { code: 'ESTALE' })
  t.equal((await engine.statTopic('t'))?.size, 0, 'the new topic is untouched')
})

t.test('a reset is not a removal: writes go on', async t => {
  const { engine, file } = await opened()
  await file.write(Buffer.from('old\n'))
  await engine.reset('t')
  await file.write(Buffer.from('new\n'))
  t.equal((await readAll(engine, 't')).toString(), 'new\n')
})

t.test('a reader of a removed topic gets end of file, never the messages of a new one there', async t => {
  const { engine, uid, file } = await opened()
  await engine.append('t', uid, [{ payload: Buffer.from('old'), verbatim: false }])
  t.equal((await file.cursor.read(0, 100)).toString(), 'old\n')
  await engine.remove('t')
  const { uid: other } = await engine.create('t')
  await engine.append('t', other, [{ payload: Buffer.from('someone else'), verbatim: false }])
  t.equal((await file.cursor.read(0, 100)).length, 0, 'from the start')
  t.equal((await file.cursor.read(4, 100)).length, 0, 'after what it read')
})
