import { Test } from 'tap'
import { render } from '../../../../src/framing/entry'
import { ReadCursor } from '../../../../src/topics/readers/read-cursor'
import { lines, readAll } from '../../topic-io'
import { checkReadsAtAnyOffset } from '../pages-and-offsets'
import type { RedisEngineBackend } from './backend'

/** Pages: reads through the offset index, the cost of a sequential read, pages read with plain XRANGE. */
export function redisPages (t: Test, backend: RedisEngineBackend): void {
  const { freshStore, execCalls } = backend

  t.test('reads at any offset match the full rendering, through the index', async t => {
    const store = freshStore(256)
    const expected = await checkReadsAtAnyOffset(t, store, 'big')
    const indexed = await backend.client.zcard(store.keys.topic('big').index)
    // One entry per 256 bytes, each placed at the first message starting past the mark (<= 48 bytes).
    t.ok(indexed >= expected.length / (256 + 48) && indexed <= expected.length / 256 + 1, `${indexed} index entries for ${expected.length} bytes`)
  })

  t.test('a sequential read costs the same per page at the end as at the start', async t => {
    const store = freshStore()
    const { uid } = await store.create('seq')
    for (let i = 0; i < 20; i++) await store.append('seq', uid, lines(...Array.from({ length: 1000 }, (_, j) => `${i}:${j}`)))
    const xrangeCalls = async (): Promise<number> => {
      const stats = await backend.commandStats(store.keys.topic('seq').stream)
      return Number(/cmdstat_xrange:calls=(\d+)/.exec(stats)?.[1] ?? 0)
    }
    const cursor = new ReadCursor(request => store.read('seq', request), 16 * 1024)
    const costs: number[] = []
    let offset = 0
    for (;;) {
      const before = await xrangeCalls()
      const chunk = await cursor.read(offset, 16 * 1024)
      costs.push(await xrangeCalls() - before)
      if (chunk.length === 0) break
      offset += chunk.length
    }
    const first = costs.slice(0, 3).reduce((a, b) => a + b, 0)
    const last = costs.slice(-4, -1).reduce((a, b) => a + b, 0)
    t.ok(last <= first + 3, `XRANGE calls for the first pages ${first}, for the last ${last}`)
  })

  t.test('sequential pages read with plain XRANGE render every entry as the script does', async t => {
    const store = freshStore(256, 2048)
    t.teardown(() => store.close())
    const { uid } = await store.create('ranged')
    const { stream } = store.keys.topic('ranged')
    for (let round = 0; round < 30; round++) {
      await store.append('ranged', uid, lines(...Array.from({ length: 40 }, (_, i) => `r${round} line ${i} ${'~'.repeat((round * 7 + i) % 23)}`)))
      // Other clients' entries of every shape, in between: accounted and indexed by the next stat.
      await backend.client.xadd(stream, '*', 'data', `theirs ${round}`)
      await backend.client.xadd(stream, '*', 'data', Buffer.from([0, 13, 10, 255, round]), 'raw', '1')
      await backend.client.xadd(stream, '*', 'level', 'info', 'round', String(round))
      await store.statTopic('ranged')
    }
    const entries = await backend.client.xrangeBuffer(stream, '-', '+')
    const expected = Buffer.concat(entries.map(([, fields]) => render(fields)))
    const before = await execCalls(store, 'ranged')
    t.ok((await readAll(store, 'ranged')).equals(expected), `all ${expected.length} bytes, in order`)
    const pages = await execCalls(store, 'ranged') - before
    t.ok(pages >= expected.length / 2048 / 2, `${pages} of about ${Math.ceil(expected.length / 2048)} pages came from plain XRANGE`)
    for (const offset of [0, 3000, 25_000, expected.length - 5]) {
      const cursor = new ReadCursor(request => store.read('ranged', request), 2048)
      t.ok((await cursor.read(offset, 5000)).equals(expected.subarray(offset, offset + 5000)), `a read at ${offset}`)
    }
  })
}
