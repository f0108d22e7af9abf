import { Test } from 'tap'
import { FROM_FIRST } from '../../../../src/topics/readers/follow-cursor'
import { ReadCursor } from '../../../../src/topics/readers/read-cursor'
import { lines, messagesOf, readAll } from '../../topic-io'
import type { EngineBackend } from '../backend'
import { numbered, rendered, retainingEngines } from './model'

/** Retention and readers: a sequential reader, reads at any offset and a follower, as trims go on. */
export function retentionReaders (t: Test, backend: EngineBackend): void {
  const fresh = retainingEngines(backend)

  t.test('retention: a sequential reader meets trimming with one run of consecutive whole messages', async t => {
    const engine = fresh()
    const { uid } = await engine.create('r')
    const texts = numbered(0, 400, 4)
    await engine.append('r', uid, lines(...texts))
    await engine.retain('r', { messages: 300 })
    const cursor = new ReadCursor(request => engine.read('r', request), 512)
    const parts: Buffer[] = []
    let offset = 0
    const step = async (): Promise<number> => {
      const chunk = await cursor.read(offset, 100)
      parts.push(chunk)
      offset += chunk.length
      return chunk.length
    }
    for (let i = 0; i < 5; i++) await step()
    // Trimming now deletes messages before and after the reader's position, a little at a time.
    for (let i = 400; i < 700; i += 25) {
      await engine.append('r', uid, lines(...numbered(i, i + 25, 4)))
      await step()
    }
    while (await step() > 0) { /* to the end, or until the reader was overtaken */ }
    const got = Buffer.concat(parts).toString()
    t.ok(got.length > 0 && got.endsWith('\n'), 'whole messages')
    const read = got.slice(0, -1).split('\n').map(x => Number(x.slice(1)))
    t.equal(read[0], 100, 'it started at the oldest message kept when it opened')
    t.ok(read.every((n, i) => i === 0 || n === read[i - 1]! + 1), `consecutive: ${read[0]}..${read[read.length - 1]}`)
    t.ok(read[read.length - 1]! < 700)
    // A reader that opens now starts at the oldest message kept.
    t.equal((await readAll(engine, 'r')).toString(), rendered(numbered(400, 700, 4)))
  })

  t.test('retention: after many trims, reads at any offset and the size match the messages kept', async t => {
    const engine = fresh()
    const { uid } = await engine.create('long')
    await engine.retain('long', { bytes: 3000 })
    for (let i = 0; i < 300; i++) {
      await engine.append('long', uid, lines(...Array.from({ length: 7 }, (_, j) => `${i}.${j} ${'#'.repeat((i * 7 + j) % 41)}`)))
    }
    const expected = Buffer.from((await messagesOf(engine, 'long')).join(''))
    const stat = await engine.statTopic('long')
    t.equal(stat?.size, expected.length)
    t.ok(expected.length <= 3000 && expected.length > 3000 - 60, `${expected.length} bytes kept`)
    t.ok((await readAll(engine, 'long', 512)).equals(expected), 'sequential read')
    for (const offset of [0, 1, 100, 1500, expected.length - 1, expected.length, expected.length + 5]) {
      const got = await new ReadCursor(request => engine.read('long', request)).read(offset, 300)
      t.ok(got.equals(expected.subarray(offset, offset + 300)), `read at ${offset}`)
    }
  })

  t.test('retention: a follower behind the window goes on at the oldest message kept', async t => {
    const engine = fresh()
    const { uid } = await engine.create('f')
    await engine.append('f', uid, lines('a', 'b'))
    const first = await engine.readAfter('f', FROM_FIRST, 1)
    t.equal(first?.data.toString(), 'a\n')
    await engine.retain('f', { messages: 2 })
    await engine.append('f', uid, lines('c', 'd'))
    const next = await engine.readAfter('f', first!.lastId, 100)
    t.equal(next?.data.toString(), 'c\nd\n')
  })
}
