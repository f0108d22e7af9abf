import t from 'tap'
import type { FileJournal } from '../../../src/mount/handles'
import { OpenFile } from '../../../src/mount/open-file'
import { PushesOnce } from '../../../src/mount/pushes-once'
import { MemoryEngine } from '../../../src/topics/memory/memory-engine'
import { messagesOf } from '../../helpers/topic-io'

const AGAIN = 1n << 63n

/** `writer` null: a filesystem told of no writer. */
async function setUp (writer: string | null = 'mount-1') {
  const engine = new MemoryEngine()
  const { uid } = await engine.create('t')
  const wrote: Array<{ handle: number, unique: string, held: string }> = []
  const journal: FileJournal = { opened () {}, closed () {}, followed () {}, wrote: (handle, unique, held) => { wrote.push({ handle, unique, held: held.toString() }) } }
  const file = new OpenFile(engine, 't', uid, true, 'line')
  return { engine, file, wrote, pushes: new PushesOnce(writer ?? undefined, journal) }
}

t.test('a write asked for again is applied once; whole lines onto nothing held need no journal record', async t => {
  const { engine, file, wrote, pushes } = await setUp()
  await pushes.write(7, file, Buffer.from('one\ntwo\n'), 40n)
  await pushes.write(7, file, Buffer.from('one\ntwo\n'), 40n | AGAIN)
  t.same(await messagesOf(engine, 't'), ['one\n', 'two\n'], 'the engine knew the token')
  t.same(wrote, [])
})

t.test('a write that leaves a partial line is recorded; asked for again, it is not framed twice; nor is the close that pushes it', async t => {
  const { engine, file, wrote, pushes } = await setUp()
  await pushes.write(7, file, Buffer.from('a\npar'), 41n)
  t.same(wrote, [{ handle: 7, unique: '41', held: 'par' }])
  await pushes.write(7, file, Buffer.from('a\npar'), 41n | AGAIN)
  t.equal(file.heldBytes().toString(), 'par', 'not held twice')
  await pushes.pushHeld(7, file, 42n)
  t.same(wrote.at(-1), { handle: 7, unique: '42', held: '' }, 'the close that emptied it is recorded')
  await pushes.pushHeld(7, file, 42n | AGAIN)
  t.same(await messagesOf(engine, 't'), ['a\n', 'par'])
})

t.test('a write first seen again by a new server (no record of it) is framed again and applied once by its token', async t => {
  const { engine, file, pushes } = await setUp()
  const next = new OpenFile(engine, 't', file.uid, true, 'line')
  await pushes.write(7, file, Buffer.from('x\n'), 43n)
  await pushes.write(7, next, Buffer.from('x\n'), 43n | AGAIN)
  t.same(await messagesOf(engine, 't'), ['x\n'])
})

t.test('without a writer no token goes with a push: a write asked for again is applied again', async t => {
  const { engine, file, pushes } = await setUp(null)
  await pushes.write(7, file, Buffer.from('x\n'), 44n)
  await pushes.write(7, file, Buffer.from('x\n'), 44n | AGAIN)
  t.same(await messagesOf(engine, 't'), ['x\n', 'x\n'])
})
