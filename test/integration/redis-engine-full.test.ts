import t from 'tap'
import { Message } from '../../src/framing/message'
import { connectRedis } from '../../src/redis/connect'
import { TopicError } from '../../src/topics/errors'
import { RedisEngine } from '../../src/topics/redis/redis-engine'
import type { RetentionLimits } from '../../src/topics/types'
import { startRedis } from '../../scripts/support/redis-server'
import { keptByLimits } from '../helpers/contract/retention/model'
import { readAll } from '../helpers/topic-io'

// The topic layer on a Redis that refuses every write that needs memory (maxmemory 1 byte):
// an append to a topic with limits makes its room first (append.lua), and must leave exactly
// what trimming after it would have left. A model of the limits says what that is.

/** Messages of `sizes` bytes, every third one verbatim (no newline added). */
function messages (tag: string, sizes: number[]): Message[] {
  return sizes.map((size, i) => {
    const text = `${tag}.${i}:`
    return { payload: Buffer.from(text + 'x'.repeat(Math.max(size - text.length, 0))), verbatim: i % 3 === 2 }
  })
}

const rendered = (message: Message): Buffer => message.verbatim ? message.payload : Buffer.concat([message.payload, Buffer.from('\n')])

/** What a topic keeps of `all` (rendered, oldest first) under `limits`. */
const kept = (all: Buffer[], limits: RetentionLimits): Buffer[] => all.slice(all.length - keptByLimits(all.map(b => b.length), limits))

t.test('a full Redis: an append to a topic at its limits trims first and leaves what trimming after it would; below them, ENOSPC and nothing', async t => {
  const server = await startRedis()
  t.teardown(() => server.stop())
  const redis = await connectRedis({ kind: 'url', url: server.url }, { name: 'dnpipes-test', commandTimeoutMs: 5000 })
  const store = new RedisEngine(redis, { prefix: 'p:', indexEvery: 4096 })
  t.teardown(() => { store.close(); redis.disconnect() })

  const cases: Array<{ name: string, limits: RetentionLimits, fill: number[], batches: number[][] }> = [
    { name: 'count', limits: { messages: 5 }, fill: Array(8).fill(40), batches: [[30], [30, 50, 20], Array(7).fill(25), [60, 10]] },
    { name: 'bytes', limits: { bytes: 300 }, fill: Array(10).fill(40), batches: [[30], [100, 100], [500], [20, 20, 20], [250, 40]] },
    { name: 'both', limits: { messages: 4, bytes: 200 }, fill: Array(6).fill(45), batches: [[45], [10, 10, 10, 10, 10], [300]] },
    // Cuts of more than 64 KiB, which trim.lua finds from the offset index.
    { name: 'large', limits: { messages: 150, bytes: 120_000 }, fill: Array(200).fill(1000), batches: [Array(80).fill(1000), Array(150).fill(900), [70_000, 70_000]] }
  ]
  const history = new Map<string, Buffer[]>()
  for (const { name, limits, fill } of cases) {
    const { uid } = await store.create(name)
    await store.retain(name, limits)
    const filled = messages(`${name}-fill`, fill)
    await store.append(name, uid, filled)
    history.set(name, filled.map(rendered))
  }
  const { uid: roomyUid } = await store.create('roomy')
  await store.retain('roomy', { messages: 1000 })
  await store.append('roomy', roomyUid, messages('roomy', [10]))

  await server.client().config('SET', 'maxmemory', '1')
  await t.rejects(store.append('roomy', roomyUid, messages('refused', [10])), { constructor: TopicError, code: 'ENOSPC' }, 'below its limit: nothing to trim, ENOSPC')
  t.equal((await readAll(store, 'roomy')).toString(), messages('roomy', [10]).map(rendered).join(''), 'and nothing of it')

  for (const { name, limits, batches } of cases) {
    const uid = (await store.statTopic(name))!.uid
    for (const [i, sizes] of batches.entries()) {
      const batch = messages(`${name}-${i}`, sizes)
      await store.append(name, uid, batch)
      history.get(name)!.push(...batch.map(rendered))
      const expected = Buffer.concat(kept(history.get(name)!, limits))
      const data = await readAll(store, name)
      t.ok(data.equals(expected), `${name}, batch ${i}: the newest messages the limits keep`)
      const stat = await store.statTopic(name)
      t.same({ size: stat?.size, entries: stat?.entries }, { size: expected.length, entries: kept(history.get(name)!, limits).length }, `${name}, batch ${i}: stat agrees`)
    }
  }
})
