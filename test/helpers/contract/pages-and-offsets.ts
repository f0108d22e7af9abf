import { Test } from 'tap'
import type { TopicEngine } from '../../../src/topics/engine'
import { FROM_FIRST } from '../../../src/topics/readers/follow-cursor'
import { ReadCursor } from '../../../src/topics/readers/read-cursor'
import type { ReadRequest } from '../../../src/topics/types'
import { lines, readAll } from '../topic-io'
import type { EngineBackend } from './backend'

/** A page request of a reader that holds nothing yet. */
const at = (offset: number, maxBytes: number): ReadRequest => ({ gen: '', offset, afterId: '', afterPos: 0, maxBytes })

/**
 * 3000 lines of varied length through `path`: the size, a sequential read and reads at offsets
 * around every boundary match the full rendering. Returns that rendering.
 */
export async function checkReadsAtAnyOffset (t: Test, store: TopicEngine, path: string): Promise<Buffer> {
  const { uid } = await store.create(path)
  const texts = Array.from({ length: 3000 }, (_, i) => `entry ${i} ${'#'.repeat(i % 31)}`)
  for (let i = 0; i < texts.length; i += 500) await store.append(path, uid, lines(...texts.slice(i, i + 500)))
  const expected = Buffer.from(texts.map(x => x + '\n').join(''))
  t.equal((await store.statTopic(path))?.size, expected.length)
  t.ok((await readAll(store, path)).equals(expected), 'sequential read')
  for (const offset of [0, 1, 255, 256, 257, 40_000, expected.length - 1, expected.length, expected.length + 10]) {
    const cursor = new ReadCursor(request => store.read(path, request))
    const got = await cursor.read(offset, 300)
    t.ok(got.equals(expected.subarray(offset, offset + 300)), `read at ${offset}`)
  }
  return expected
}

/** Pages and offsets: reads at any offset, the whole entries of a page, reads after an id. */
export function pagesAndOffsets (t: Test, backend: EngineBackend): void {
  const { freshStore } = backend

  t.test('reads at any offset match the full rendering', async t => {
    await checkReadsAtAnyOffset(t, freshStore(), 'big')
  })

  t.test('a page holds the whole entries that reach into the range asked for', async t => {
    const store = freshStore()
    const { uid } = await store.create('p')
    // Ten entries of 5 bytes: entry i covers [5i, 5i + 5).
    await store.append('p', uid, lines(...Array.from({ length: 10 }, (_, i) => `e${i}:x`)))
    const all = Buffer.from(Array.from({ length: 10 }, (_, i) => `e${i}:x\n`).join(''))
    const page = await store.read('p', at(7, 6))
    t.same([page?.uid, page?.firstPos, page?.count], [uid, 5, 2], 'the entry holding byte 7, then entries until 6 bytes are taken')
    t.equal(page?.data.toString(), all.subarray(5, 15).toString())
    t.ok(page?.lastId !== undefined && page.lastId !== '')
    const first = await store.read('p', at(0, 1))
    t.same([first?.firstPos, first?.count, first?.data.toString()], [0, 1, 'e0:x\n'], 'at least one whole entry')
    const whole = await store.read('p', at(0, 1000))
    t.equal(whole?.data.toString(), all.toString())
    t.equal(whole?.count, 10)
    t.equal(whole?.lastId, (await store.statTopic('p'))?.lastId, 'the last entry read is the last entry')
    for (const offset of [50, 80]) {
      const end = await store.read('p', at(offset, 100))
      t.same([end?.firstPos, end?.count, end?.data.length, end?.lastId], [50, 0, 0, ''], `at ${offset}: nothing, at the end`)
    }
    t.equal(await store.read('none', at(0, 100)), undefined, 'no topic: undefined')
    t.equal(await store.readAfter('none', '0-0', 100), undefined)
  })

  t.test('readAfter returns the entries after an id', async t => {
    const store = freshStore()
    const { uid } = await store.create('f')
    await store.append('f', uid, lines('one', 'two', 'three'))
    const all = await store.readAfter('f', FROM_FIRST, 1000)
    t.same([all?.uid, all?.count, all?.data.toString()], [uid, 3, 'one\ntwo\nthree\n'])
    const first = await store.readAfter('f', FROM_FIRST, 1)
    t.same([first?.count, first?.data.toString()], [1, 'one\n'], 'stops once maxBytes are taken')
    t.equal(first?.lastId, await store.firstId('f'))
    const rest = await store.readAfter('f', first!.lastId, 1000)
    t.same([rest?.count, rest?.data.toString(), rest?.lastId], [2, 'two\nthree\n', all?.lastId])
    const none = await store.readAfter('f', all!.lastId, 1000)
    t.same([none?.uid, none?.count, none?.data.length, none?.lastId], [uid, 0, 0, ''])
  })
}
