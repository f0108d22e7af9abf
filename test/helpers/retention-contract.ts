import { Test } from 'tap'
import type { TopicEngine } from '../../src/topics/engine'
import { FROM_FIRST } from '../../src/topics/readers/follow-cursor'
import { ReadCursor } from '../../src/topics/readers/read-cursor'
import type { GroupPolicy, RetentionLimits } from '../../src/topics/types'
import { sleep } from '../../src/util/deadline'
import { lines, messagesOf, readAll } from './engine-contract'

/**
 * The model of the count and bytes limits: how many of the newest entries, of these rendered
 * sizes (oldest first), a topic keeps. The oldest go first; a bytes limit keeps the newest one.
 */
export function keptByLimits (sizes: number[], limits: RetentionLimits): number {
  let kept = 0
  let bytes = 0
  for (let i = sizes.length - 1; i >= 0 && kept < (limits.messages ?? Infinity); i--) {
    if (kept > 0 && bytes + sizes[i]! > (limits.bytes ?? Infinity)) break
    kept++
    bytes += sizes[i]!
  }
  return kept
}

/**
 * The retention part of the engine contract (engine-contract.ts runs it on every engine): what
 * retain and the mount's default limits promise, as helpers.lua's trim keeps it in Redis.
 * `makeEngine` takes the default retention of the mount the engine serves.
 */
export function retentionContract (t: Test, makeEngine: (defaultRetention?: RetentionLimits) => TopicEngine): void {
  const engines: TopicEngine[] = []
  const fresh = (defaults?: RetentionLimits): TopicEngine => {
    const engine = makeEngine(defaults ?? {})
    engines.push(engine)
    return engine
  }
  t.afterEach(() => { for (const engine of engines.splice(0)) engine.close() })
  const numbered = (from: number, to: number, pad = 0): string[] =>
    Array.from({ length: to - from }, (_, i) => `m${String(from + i).padStart(pad, '0')}`)
  const rendered = (texts: string[]): string => texts.map(text => text + '\n').join('')

  t.test('retention: a message limit keeps the newest messages; stat, a full read and a follower agree', async t => {
    const engine = fresh()
    const { uid } = await engine.create('jobs')
    await engine.append('jobs', uid, lines(...numbered(0, 10)))
    await engine.retain('jobs', { messages: 3 })
    const stat = await engine.statTopic('jobs')
    t.same(stat?.retention, { messages: 3 })
    t.equal(stat?.entries, 3)
    t.equal(stat?.size, rendered(numbered(7, 10)).length)
    t.equal((await readAll(engine, 'jobs')).toString(), rendered(numbered(7, 10)))
    t.same(await messagesOf(engine, 'jobs'), numbered(7, 10).map(x => x + '\n'))
    for (let i = 10; i < 40; i++) await engine.append('jobs', uid, lines(`m${i}`))
    t.equal((await readAll(engine, 'jobs')).toString(), rendered(numbered(37, 40)), 'each append trims')
    t.equal((await engine.statTopic('jobs'))?.size, rendered(numbered(37, 40)).length)
  })

  t.test('retention: a bytes limit deletes whole messages, oldest first, and never the newest', async t => {
    const engine = fresh()
    const { uid } = await engine.create('b')
    await engine.retain('b', { bytes: 20 })
    await engine.append('b', uid, lines('aaaa', 'bbbb', 'cccc', 'dddd', 'eeee', 'ffff')) // 5 bytes each
    t.equal((await readAll(engine, 'b')).toString(), 'cccc\ndddd\neeee\nffff\n', 'the most that fits in 20 bytes')
    await engine.append('b', uid, lines('g'.repeat(50)))
    t.equal((await readAll(engine, 'b')).toString(), 'g'.repeat(50) + '\n', 'a message larger than the limit stays alone')
    t.equal((await engine.statTopic('b'))?.size, 51)
  })

  t.test('retention: an age limit trims at appends and, for an idle topic, at a stat', async t => {
    const engine = fresh()
    const { uid } = await engine.create('aged')
    await engine.retain('aged', { seconds: 1 })
    await engine.append('aged', uid, lines('old'))
    await sleep(1100)
    await engine.append('aged', uid, lines('new'))
    t.equal((await readAll(engine, 'aged')).toString(), 'new\n')
    await sleep(1100)
    const stat = await engine.statTopic('aged')
    t.equal(stat?.entries, 0, 'the idle topic shrank')
    t.equal(stat?.size, 0)
    t.equal((await readAll(engine, 'aged')).length, 0)
    await engine.append('aged', uid, lines('later'))
    t.equal((await readAll(engine, 'aged')).toString(), 'later\n', 'appends go on')
  })

  t.test('retention: combined limits, the strictest wins; lifting one keeps the others; lifting all keeps everything', async t => {
    const engine = fresh()
    const { uid } = await engine.create('c')
    await engine.retain('c', { messages: 5, bytes: 12 })
    await engine.append('c', uid, lines(...numbered(0, 8)))
    t.equal((await readAll(engine, 'c')).toString(), rendered(numbered(4, 8)).slice(-12), 'bytes is the stricter: 4 messages of 3 bytes')
    await engine.retain('c', { bytes: null })
    t.same((await engine.statTopic('c'))?.retention, { messages: 5 })
    await engine.append('c', uid, lines(...numbered(8, 12)))
    t.equal((await readAll(engine, 'c')).toString(), rendered(numbered(7, 12)))
    await engine.retain('c', { messages: null })
    t.same((await engine.statTopic('c'))?.retention, {})
    await engine.append('c', uid, lines(...numbered(12, 30)))
    t.equal((await engine.statTopic('c'))?.entries, 5 + 18, 'without a limit a message stays')
  })

  t.test('retention: the default applies to topics without limits of their own, and only to them', async t => {
    const engine = fresh({ messages: 2 })
    const plain = await engine.create('plain')
    const own = await engine.create('own')
    await engine.retain('own', { bytes: 1000 })
    await engine.append('plain', plain.uid, lines(...numbered(0, 6)))
    await engine.append('own', own.uid, lines(...numbered(0, 6)))
    t.equal((await readAll(engine, 'plain')).toString(), rendered(numbered(4, 6)))
    t.same((await engine.statTopic('plain'))?.retention, {}, 'the default is not stored with the topic')
    t.equal((await readAll(engine, 'own')).toString(), rendered(numbered(0, 6)))
  })

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

  t.test('retention: a reset keeps the limits; retain answers ENOENT and EISDIR', async t => {
    const engine = fresh()
    const { uid } = await engine.create('z')
    await engine.retain('z', { messages: 2, seconds: 3600 })
    await engine.append('z', uid, lines('1', '2', '3'))
    await engine.reset('z')
    t.same((await engine.statTopic('z'))?.retention, { messages: 2, seconds: 3600 })
    await engine.append('z', uid, lines('4', '5', '6'))
    t.equal((await readAll(engine, 'z')).toString(), '5\n6\n')
    await t.rejects(engine.retain('nothing', { messages: 1 }), { code: 'ENOENT' })
    await engine.mkdir('dir')
    await t.rejects(engine.retain('dir', { messages: 1 }), { code: 'EISDIR' })
  })

  t.test('retention: a group skips pending messages trimmed away', async t => {
    const engine = fresh()
    const { uid } = await engine.create('q')
    await engine.append('q', uid, lines('a', 'b', 'c'))
    const atOnce: GroupPolicy = { visibilityMs: 0, maxDeliveries: 5 }
    const claimed = await engine.claim('q', 'g', 'one', atOnce)
    t.equal(claimed?.kind === 'message' && claimed.data.toString(), 'a\n')
    await engine.retain('q', { messages: 1 })
    const next = await engine.claim('q', 'g', 'two', atOnce)
    t.equal(next?.kind === 'message' && next.data.toString(), 'c\n', 'a and b are gone')
    t.equal((await engine.groups('q'))?.[0]?.pending, 1, 'only c is pending')
  })
}
