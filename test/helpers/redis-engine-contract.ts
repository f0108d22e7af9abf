import { Test } from 'tap'
import type { Cluster, Redis } from 'ioredis'
import { render } from '../../src/framing/entry'
import { ReadCursor } from '../../src/topics/readers/read-cursor'
import { RedisEngine } from '../../src/topics/redis/redis-engine'
import type { RetentionLimits } from '../../src/topics/types'
import { checkReadsAtAnyOffset } from './contract/pages-and-offsets'
import { engineContract } from './engine-contract'
import { lines, readAll } from './topic-io'

export { readAll }

/**
 * The contract of the topic layer, one suite for every kind of Redis it runs on: standalone,
 * Sentinel-managed and Cluster (test/integration/redis-engine*.test.ts run it). It runs the
 * engine contract every engine passes (engine-contract.ts), then the cases that need Redis
 * itself: other clients' commands, command counts, the offset index.
 */
export interface Backend {
  client: Redis | Cluster
  cluster: boolean
  /** INFO commandstats of the node that holds `key`. */
  commandStats (key: string): Promise<string>
}

/** Declares the suite's tests on `t`; `backend` is read when they run (after t.before). */
export function redisEngineContract (t: Test, backend: Backend): void {
  let counter = 0
  const freshStore = (indexEvery?: number, rangedPageBytes?: number, defaultRetention?: RetentionLimits): RedisEngine =>
    new RedisEngine(backend.client, { prefix: `t${counter++}:`, indexEvery, cluster: backend.cluster, rangedPageBytes, defaultRetention })
  const execCalls = async (store: RedisEngine, path: string): Promise<number> =>
    Number(/cmdstat_exec:calls=(\d+)/.exec(await backend.commandStats(store.keys.topic(path).stream))?.[1] ?? 0)

  // A small index and page size, so that retention's trims cross index points and ranged pages.
  engineContract(t, defaultRetention => defaultRetention ? freshStore(256, 1024, defaultRetention) : freshStore(), { renamesTopics: !backend.cluster })

  t.test('create, append, stat and read back', async t => {
    const store = freshStore()
    const created = await store.create('jobs')
    t.equal(created.size, 0)
    await store.append('jobs', created.uid, lines('hello', 'more'))
    const stat = await store.statTopic('jobs')
    t.equal(stat?.size, 'hello\nmore\n'.length)
    t.equal(stat?.entries, 2)
    t.ok(stat!.mtimeMs >= created.ctimeMs)
    t.equal((await readAll(store, 'jobs')).toString(), 'hello\nmore\n')
    const entries = await backend.client.xrange(store.keys.topic('jobs').stream, '-', '+')
    t.same(entries.map(([, fields]) => fields), [['data', 'hello'], ['data', 'more']], 'payloads are the lines without newline')
  })

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

  t.test('entries added by other clients appear in reads and stat', async t => {
    const store = freshStore()
    const { uid } = await store.create('mixed')
    await store.append('mixed', uid, lines('ours'))
    const { stream } = store.keys.topic('mixed')
    await backend.client.xadd(stream, '*', 'data', 'theirs')
    await backend.client.xadd(stream, '*', 'source', 'svc', 'level', 'info')
    const stat = await store.statTopic('mixed')
    const expected = 'ours\ntheirs\nsource=svc level=info\n'
    t.equal(stat?.size, expected.length)
    t.equal(stat?.entries, 3)
    t.equal((await readAll(store, 'mixed')).toString(), expected)
    await store.append('mixed', uid, lines('after'))
    t.equal((await readAll(store, 'mixed')).toString(), expected + 'after\n', 'our appends go on after theirs')
    t.equal((await store.statTopic('mixed'))?.size, expected.length + 6)
  })

  t.test('entries deleted by other clients are accounted again', async t => {
    const store = freshStore(8)
    const { uid } = await store.create('trimmed')
    await store.append('trimmed', uid, lines('one', 'two', 'three'))
    const { stream } = store.keys.topic('trimmed')
    const [first] = await backend.client.xrange(stream, '-', '+', 'COUNT', 1)
    await backend.client.xdel(stream, first![0])
    t.equal((await store.statTopic('trimmed'))?.size, 'two\nthree\n'.length)
    t.equal((await readAll(store, 'trimmed')).toString(), 'two\nthree\n')
  })

  t.test('changes that keep the length are noticed: a capped producer, the newest entry deleted', async t => {
    const store = freshStore(8)
    const { uid } = await store.create('capped')
    await store.append('capped', uid, lines('one', 'two', 'three'))
    const { stream } = store.keys.topic('capped')
    // XADD with MAXLEN adds one entry and trims one: the entry count does not change.
    await backend.client.xadd(stream, 'MAXLEN', '3', '*', 'data', 'four')
    t.equal((await store.statTopic('capped'))?.size, 'two\nthree\nfour\n'.length)
    await store.append('capped', uid, lines('five'))
    t.equal((await readAll(store, 'capped')).toString(), 'two\nthree\nfour\nfive\n', 'an append first accounts the change')
    const [newest] = await backend.client.xrevrange(stream, '+', '-', 'COUNT', 1)
    await backend.client.xdel(stream, newest![0])
    await store.append('capped', uid, lines('six'))
    t.equal((await readAll(store, 'capped')).toString(), 'two\nthree\nfour\nsix\n', 'after the newest entry was deleted')
    t.equal((await store.statTopic('capped'))?.size, 'two\nthree\nfour\nsix\n'.length)
  })

  t.test('reset empties the topic; appends go on; ids keep growing', async t => {
    const store = freshStore()
    const { uid, gen } = await store.create('r')
    await store.append('r', uid, lines('a', 'b'))
    const before = await store.statTopic('r')
    await store.reset('r')
    const after = await store.statTopic('r')
    t.equal(after?.size, 0)
    t.not(after?.gen, gen)
    t.equal(after?.uid, uid, 'a reset is not a removal')
    await store.append('r', uid, lines('c'))
    t.equal((await readAll(store, 'r')).toString(), 'c\n')
    const [entry] = await backend.client.xrange(store.keys.topic('r').stream, '-', '+')
    t.ok(entry![0] > before!.lastId, 'new ids follow the old ones')
    await t.rejects(store.reset('none'), { message: /ENOENT/ })
  })

  t.test('rename moves a topic with its messages, replacing a topic at the target', async t => {
    const store = freshStore()
    const { uid } = await store.create('from')
    await store.append('from', uid, lines('kept'))
    await store.create('to')
    await store.mkdir('dir')
    if (backend.cluster) {
      // The keys of two paths live in different slots: no atomic move, so mv copies.
      await t.rejects(store.rename('from', 'to'), { code: 'EXDEV' })
      await t.rejects(store.rename('dir', 'elsewhere'), { code: 'EXDEV' })
      t.equal((await readAll(store, 'from')).toString(), 'kept\n', 'untouched')
      return
    }
    await store.rename('from', 'to')
    t.equal(await store.stat('from'), undefined)
    t.equal((await readAll(store, 'to')).toString(), 'kept\n')
    await store.append('to', uid, lines('same identity'))
    await store.rename('to', 'dir/moved')
    t.same((await store.list('dir')).map(e => e.name), ['moved'])
    t.same((await store.list('')).map(e => e.name), ['dir'])
    await t.rejects(store.rename('dir/moved', 'dir'), { code: 'EISDIR' })
    await t.rejects(store.rename('dir', 'elsewhere'), { code: 'EXDEV' })
    await store.create('t2')
    await t.rejects(store.rename('dir', 't2'), { code: 'ENOTDIR' })
    await t.rejects(store.rename('missing', 'x'), { code: 'ENOENT' })
    const cluster = new RedisEngine(backend.client, { prefix: store.keys.prefix, cluster: true })
    await t.rejects(cluster.rename('t2', 't3'), { code: 'EXDEV' })
  })

  t.test('rendering in Lua and in TypeScript agree for odd entries', async t => {
    const store = freshStore()
    await store.create('odd')
    const { stream } = store.keys.topic('odd')
    await backend.client.xadd(stream, '*', 'data', '')
    await backend.client.xadd(stream, '*', 'data', '', 'raw', '1')
    await backend.client.xadd(stream, '*', 'raw', '1', 'data', 'x')
    await backend.client.xadd(stream, '*', 'k', '')
    const entries = await backend.client.xrangeBuffer(stream, '-', '+')
    const expected = Buffer.concat(entries.map(([, fields]) => render(fields)))
    t.equal((await store.statTopic('odd'))?.size, expected.length)
    t.ok((await readAll(store, 'odd')).equals(expected))
  })
}
