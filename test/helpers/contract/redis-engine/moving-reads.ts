import { Test } from 'tap'
import { ReadCursor } from '../../../../src/topics/readers/read-cursor'
import { lines } from '../../topic-io'
import type { RedisEngineBackend } from './backend'

/** A topic that changes under a sequential reader: entries deleted by another client, a reset, a removal. */
export function redisMovingReads (t: Test, backend: RedisEngineBackend): void {
  const { freshStore } = backend

  t.test('a sequential reader meets deletions, a reset and a removal with exact bytes', async t => {
    const store = freshStore(256, 2048)
    t.teardown(() => store.close())
    const { uid } = await store.create('moving')
    const { stream } = store.keys.topic('moving')
    const texts = Array.from({ length: 1500 }, (_, i) => `old ${i}`)
    await store.append('moving', uid, lines(...texts))
    const cursor = new ReadCursor(request => store.read('moving', request), 2048)
    let offset = 0
    const take = async (): Promise<Buffer> => {
      const chunk = await cursor.read(offset, 1000)
      offset += chunk.length
      return chunk
    }
    const parts = [await take(), await take(), await take()]
    // Far ahead of what the reader holds: every entry from 1000 on, by another client.
    const doomed = (await backend.client.xrange(stream, '-', '+')).slice(1000)
    await backend.client.xdel(stream, ...doomed.map(([id]) => id))
    for (let chunk = await take(); chunk.length > 0; chunk = await take()) parts.push(chunk)
    t.equal(Buffer.concat(parts).toString(), texts.slice(0, 1000).map(x => x + '\n').join(''), 'the deleted entries are not read')

    await store.append('moving', uid, lines(...texts))
    const again = new ReadCursor(request => store.read('moving', request), 2048)
    offset = 0
    const read = async (): Promise<Buffer> => {
      const chunk = await again.read(offset, 1000)
      offset += chunk.length
      return chunk
    }
    const early = Buffer.concat([await read(), await read(), await read()]).length
    await store.reset('moving')
    await store.append('moving', uid, lines('new 1', 'new 2'))
    const rest: Buffer[] = []
    for (let chunk = await read(); chunk.length > 0 && rest.length < 50; chunk = await read()) rest.push(chunk)
    const oldBytes = Buffer.concat(rest).toString().split('\n').filter(line => line.startsWith('old')).reduce((n, line) => n + line.length + 1, 0)
    // What the reader already held (its page and the one read ahead) may still come; nothing after it.
    t.ok(oldBytes <= 2 * (2048 + 10) + 1000, `${oldBytes} bytes of old lines after the reset, ${early} before it`)

    const third = new ReadCursor(request => store.read('moving', request), 2048)
    await store.append('moving', uid, lines(...texts))
    t.ok((await third.read(0, 1000)).length > 0)
    await third.read(1000, 1000)
    await store.remove('moving')
    let after = 2000
    let tail = 0
    for (let chunk = await third.read(after, 1000); chunk.length > 0 && tail < 50; chunk = await third.read(after, 1000)) {
      after += chunk.length
      tail++
    }
    t.ok(tail <= 5, `a removed topic ends the read after what was held (${tail} more reads)`)
  })
}
