import { Test } from 'tap'
import { ReadCursor } from '../../../../src/topics/readers/read-cursor'
import type { RetentionLimits } from '../../../../src/topics/types'
import { lines, readAll } from '../../topic-io'
import type { EngineBackend } from '../backend'
import { keptByLimits, rendered, retainingEngines } from './model'

/** Retention, large trims: more than 64 KiB at once, found from the offset index, exactly as the limits say. */
export function retentionLargeTrims (t: Test, backend: EngineBackend): void {
  const fresh = retainingEngines(backend)

  t.test('retention: trims of more than 64 KiB at once (found from the offset index) keep exactly what the limits say', async t => {
    const engine = fresh()
    const texts: string[] = []
    const batch = (from: number): string[] => Array.from({ length: 1000 }, (_, i) => `${from + i}:${'x'.repeat((from + i) * 37 % 150)}`)
    /** The newest messages within `messages` and `bytes`, as the limits define them. */
    const newest = (messages: number, bytes: number): string =>
      rendered(texts.slice(texts.length - keptByLimits(texts.map(text => text.length + 1), { messages, bytes })))
    const check = async (path: string, expected: string, what: string): Promise<void> => {
      const stat = await engine.statTopic(path)
      const all = await readAll(engine, path, 1024)
      if (all.toString() !== expected || stat?.size !== expected.length || stat.entries !== expected.split('\n').length - 1) {
        t.fail(`${what}: read ${all.length} bytes, stat ${stat?.size} bytes in ${stat?.entries} entries; expected ${expected.length} bytes`)
      }
      for (const offset of [1, 777, Math.floor(expected.length / 2), expected.length - 3]) {
        const got = await new ReadCursor(request => engine.read(path, request)).read(offset, 200)
        if (got.toString() !== expected.slice(offset, offset + 200)) t.fail(`${what}: read at ${offset}`)
      }
    }
    const limits: Array<[string, RetentionLimits]> = [['count', { messages: 700 }], ['bytes', { bytes: 40_000 }], ['both', { messages: 900, bytes: 50_000 }]]
    for (const [path, limit] of limits) {
      const { uid } = await engine.create(path)
      await engine.retain(path, limit)
      texts.length = 0
      for (let from = 0; from < 6000; from += 1000) {
        texts.push(...batch(from))
        await engine.append(path, uid, lines(...batch(from)))
        await check(path, newest(limit.messages ?? Infinity, limit.bytes ?? Infinity), `${path} after ${from + 1000} messages`)
      }
      t.pass(`${path}: exact after each of 6 appends of about 75 KiB`)
    }
    const { uid } = await engine.create('later')
    texts.length = 0
    for (let from = 0; from < 8000; from += 1000) {
      texts.push(...batch(from))
      await engine.append('later', uid, lines(...batch(from)))
    }
    await engine.retain('later', { messages: 3000 })
    await check('later', newest(3000, Infinity), 'a count limit set on a long topic')
    await engine.retain('later', { messages: null, bytes: 20_000 })
    await check('later', newest(Infinity, 20_000), 'then a bytes limit')
    await engine.append('later', uid, lines('last'))
    texts.push('last')
    await check('later', newest(Infinity, 20_000), 'and an append after it')
  })
}
