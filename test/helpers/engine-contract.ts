import { Test } from 'tap'
import { render } from '../../src/framing/entry'
import { Message } from '../../src/framing/message'
import type { TopicEngine } from '../../src/topics/engine'
import { FollowCursor, FROM_FIRST } from '../../src/topics/readers/follow-cursor'
import { ReadCursor } from '../../src/topics/readers/read-cursor'
import { compareIds } from '../../src/topics/stream-id'
import type { DirectoryStat, ReadRequest, RetentionLimits, Woken } from '../../src/topics/types'
import { groupContract } from './group-contract'
import { retentionContract } from './retention-contract'
import { scheduleContract } from './schedule-contract'
import { freshEngines } from './fresh-engines'
import { writeTokenContract } from './write-token-contract'

/**
 * The contract of a topic engine, through the TopicEngine API and the rendered bytes alone: one
 * suite for every engine (JuiceFS runs one metadata suite over all of its engines). The Redis
 * engine runs it from test/helpers/redis-engine-contract.ts (standalone, Sentinel, Cluster), the memory
 * engine from test/unit/topics/memory/memory-engine.test.ts.
 */
export interface EngineFeatures {
  /** Topics are renamed atomically (the Redis engine on a Cluster answers EXDEV instead). */
  renamesTopics: boolean
}

export const lines = (...texts: string[]): Message[] => texts.map(text => ({ payload: Buffer.from(text), verbatim: false }))

/** Everything a reader gets from offset 0 to the end, in reads of 1000 bytes. */
export async function readAll (store: TopicEngine, path: string, pageBytes = 4096): Promise<Buffer> {
  const cursor = new ReadCursor(request => store.read(path, request), pageBytes)
  const parts: Buffer[] = []
  for (let offset = 0; ; ) {
    const chunk = await cursor.read(offset, 1000)
    if (chunk.length === 0) return Buffer.concat(parts)
    parts.push(chunk)
    offset += chunk.length
  }
}

/** A page request of a reader that holds nothing yet. */
const at = (offset: number, maxBytes: number): ReadRequest => ({ gen: '', offset, afterId: '', afterPos: 0, maxBytes })

/**
 * A wait ended by new entries: 'data', or the entries themselves as a page, which must be the
 * start of what readAfter gives from the same position.
 */
async function checkWokenByData (t: Test, store: TopicEngine, woken: Woken, path: string, afterId: string, uid: string, message: string): Promise<void> {
  if (typeof woken !== 'object') {
    t.equal(woken, 'data', message)
    return
  }
  const read = (await store.readAfter(path, afterId, 1 << 20))!
  t.equal(woken.uid, uid, `${message}: the page is the topic's`)
  t.ok(woken.count > 0 && woken.count <= read.count, `${message}: ${woken.count} entries`)
  t.same(woken.data, read.data.subarray(0, woken.data.length), `${message}: what a read after the id gives`)
  if (woken.count === read.count) t.equal(woken.lastId, read.lastId, `${message}: up to the same last id`)
}

/** Declares the suite's tests on `t`; `makeEngine` is called when they run (after t.before). */
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

/** The rendered bytes of each message of a topic, one by one (by id, as a follower reads them). */
export async function messagesOf (engine: TopicEngine, path: string): Promise<string[]> {
  const out: string[] = []
  for (let after = FROM_FIRST; ;) {
    const page = await engine.readAfter(path, after, 1)
    if (!page || page.count === 0) return out
    out.push(page.data.toString())
    after = page.lastId
  }
}

/** `makeEngine` takes the default retention of the mount the engine serves (none when absent). */
export function engineContract (t: Test, makeEngine: (defaultRetention?: RetentionLimits) => TopicEngine, features: EngineFeatures): void {
  groupContract(t, () => makeEngine())
  retentionContract(t, makeEngine)
  scheduleContract(t, () => makeEngine(), features)
  writeTokenContract(t, () => makeEngine())

  const freshStore = freshEngines(t, () => makeEngine())

  t.test('create, append, stat and read back through the engine', async t => {
    const store = freshStore()
    const created = await store.create('jobs')
    t.same([created.kind, created.size, created.entries, created.lastId], ['topic', 0, 0, '0-0'])
    t.equal(await store.append('jobs', created.uid, lines('hello', 'more')), 'hello\nmore\n'.length, 'append returns the new size')
    const stat = await store.statTopic('jobs')
    t.equal(stat?.size, 'hello\nmore\n'.length)
    t.equal(stat?.entries, 2)
    t.equal(stat?.uid, created.uid)
    t.equal(stat?.gen, created.gen, 'appends do not change the generation')
    t.ok(stat!.mtimeMs >= created.ctimeMs)
    t.same(await store.stat('jobs'), stat, 'stat and statTopic agree')
    t.equal((await readAll(store, 'jobs')).toString(), 'hello\nmore\n')
    t.equal(await store.append('jobs', created.uid, []), 0, 'appending nothing does nothing')
    t.equal((await store.statTopic('jobs'))?.entries, 2)
  })

  t.test('create refuses an existing path; stat tells topics from directories', async t => {
    const store = freshStore()
    await store.create('a')
    await t.rejects(store.create('a'), { code: 'EEXIST' })
    await store.mkdir('d')
    await t.rejects(store.create('d'), { code: 'EEXIST' })
    await t.rejects(store.mkdir('a'), { code: 'EEXIST' })
    t.equal((await store.stat('d'))?.kind, 'directory')
    t.equal((await store.stat('a'))?.kind, 'topic')
    t.equal(await store.stat('nothing'), undefined)
    await t.rejects(store.create('missing/x'), { code: 'ENOENT' })
    await t.rejects(store.create('a/x'), { code: 'ENOTDIR' })
  })

  t.test('names: the root, empty and dot components, long names, reserved names', async t => {
    const store = freshStore()
    t.equal((await store.stat(''))?.kind, 'directory')
    await t.rejects(store.create(''), { code: 'EEXIST' })
    await t.rejects(store.mkdir(''), { code: 'EEXIST' })
    for (const bad of ['a//b', '/a', 'a/', '.', '..', 'x/../y']) await t.rejects(store.create(bad), { code: 'EINVAL' }, `"${bad}"`)
    await t.rejects(store.create('n'.repeat(256)), { code: 'ENAMETOOLONG' })
    await t.rejects(store.mkdir('é'.repeat(128)), { code: 'ENAMETOOLONG' }, 'names are measured in bytes')
    await store.create('n'.repeat(255))
    t.equal((await store.stat('n'.repeat(255)))?.kind, 'topic')
    t.equal(await store.stat('n'.repeat(300)), undefined, 'a lookup of a long name finds nothing')
    await t.rejects(store.create('.follow'), { code: 'EPERM' })
    await t.rejects(store.mkdir('.live'), { code: 'EPERM' })
    await store.mkdir('d')
    await store.create('d/.follow')
    t.same(await store.list('d'), [{ name: '.follow', kind: 'topic' }], 'reserved only at the root')
  })

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

  t.test('ids look like stream ids and grow strictly, within an append and across appends', async t => {
    const store = freshStore()
    const { uid } = await store.create('ids')
    await store.append('ids', uid, lines(...Array.from({ length: 200 }, (_, i) => `${i}`)))
    for (let i = 0; i < 20; i++) await store.append('ids', uid, lines(`single ${i}`))
    const ids: string[] = []
    for (let after = FROM_FIRST; ;) {
      const page = await store.readAfter('ids', after, 1)
      if (!page || page.count === 0) break
      ids.push(page.lastId)
      after = page.lastId
    }
    t.equal(ids.length, 220)
    t.ok(ids.every(id => /^\d+-\d+$/.test(id)), 'every id is <ms>-<seq>')
    t.ok(ids.every((id, i) => i === 0 || compareIds(ids[i - 1]!, id) < 0), 'strictly increasing')
    t.equal(await store.firstId('ids'), ids[0])
    t.equal((await store.statTopic('ids'))?.lastId, ids[ids.length - 1])
    const mtime = (await store.statTopic('ids'))!.mtimeMs
    t.equal(mtime, Number(ids[ids.length - 1]!.split('-')[0]), 'mtime is the time of the newest message')
  })

  t.test('reset empties the topic; appends go on; ids keep growing; gen changes', async t => {
    const store = freshStore()
    const { uid, gen } = await store.create('r')
    await store.append('r', uid, lines('a', 'b'))
    const before = await store.statTopic('r')
    await store.reset('r')
    const after = await store.statTopic('r')
    t.same([after?.size, after?.entries, after?.uid], [0, 0, uid], 'empty, the same topic')
    t.not(after?.gen, gen)
    t.equal(await store.firstId('r'), undefined)
    t.equal((await readAll(store, 'r')).length, 0)
    await store.append('r', uid, lines('c'))
    t.equal((await readAll(store, 'r')).toString(), 'c\n')
    t.ok(compareIds((await store.firstId('r'))!, before!.lastId) > 0, 'new ids follow the old ones')
    await store.reset('r')
    t.not((await store.statTopic('r'))?.gen, after?.gen, 'every reset changes the generation')
    await t.rejects(store.reset('none'), { code: 'ENOENT' })
    await store.mkdir('dir')
    await t.rejects(store.reset('dir'), { code: 'ENOENT' }, 'a directory is not a topic')
  })

  t.test('a write through a handle of a removed topic is ESTALE, even once recreated', async t => {
    const store = freshStore()
    const { uid } = await store.create('gone')
    await store.remove('gone')
    await t.rejects(store.append('gone', uid, lines('x')), { message: /^ESTALE/ })
    await store.create('gone')
    await t.rejects(store.append('gone', uid, lines('x')), { message: /^ESTALE/ })
    t.equal((await store.statTopic('gone'))?.size, 0)
    await t.rejects(store.remove('never'), { code: 'ENOENT' })
  })

  t.test('every incarnation of a topic has its own uid', async t => {
    const store = freshStore()
    const first = await store.create('u')
    t.equal(await store.topicUid('u'), first.uid)
    await t.rejects(store.append('u', 'not-the-uid', lines('x')), { code: 'ESTALE' })
    await store.remove('u')
    t.equal(await store.topicUid('u'), undefined)
    t.equal(await store.statTopic('u'), undefined)
    t.equal(await store.stat('u'), undefined)
    const second = await store.create('u')
    t.not(second.uid, first.uid)
    t.equal(await store.topicUid('u'), second.uid)
    await store.mkdir('d')
    t.equal(await store.topicUid('d'), undefined, 'a directory has none')
    t.equal(await store.statTopic('d'), undefined)
  })

  t.test('verbatim messages and binary payloads', async t => {
    const store = freshStore()
    const { uid } = await store.create('bin')
    const payload = Buffer.from([0, 1, 2, 255, 10, 0x80, 0])
    await store.append('bin', uid, [{ payload, verbatim: true }, { payload: Buffer.from('tail'), verbatim: true }])
    const all = await readAll(store, 'bin')
    t.ok(all.equals(Buffer.concat([payload, Buffer.from('tail')])))
    t.equal((await store.statTopic('bin'))?.size, all.length)
  })

  t.test('stored messages render as src/framing/entry.ts renders their fields', async t => {
    const store = freshStore()
    const { uid } = await store.create('mix')
    const messages: Message[] = [
      { payload: Buffer.from('line'), verbatim: false },
      { payload: Buffer.alloc(0), verbatim: false },
      { payload: Buffer.alloc(0), verbatim: true },
      { payload: Buffer.from([0xff, 0xfe, 0x0a]), verbatim: true },
      { payload: Buffer.from('a\nb'), verbatim: false }
    ]
    await store.append('mix', uid, messages)
    const expected = Buffer.concat(messages.map(m => render([Buffer.from('data'), m.payload, ...(m.verbatim ? [Buffer.from('raw'), Buffer.from('1')] : [])])))
    t.ok((await readAll(store, 'mix')).equals(expected))
    t.equal((await store.statTopic('mix'))?.size, expected.length)
    t.equal((await store.statTopic('mix'))?.entries, messages.length)
  })

  t.test('the caller may reuse its buffers once an append returned', async t => {
    const store = freshStore()
    const { uid } = await store.create('c')
    const payload = Buffer.from('original')
    await store.append('c', uid, [{ payload, verbatim: false }])
    payload.fill('x')
    t.equal((await readAll(store, 'c')).toString(), 'original\n')
  })

  t.test('directories: mkdir, list, rmdir', async t => {
    const store = freshStore()
    await store.mkdir('team')
    await store.mkdir('team/a')
    await store.create('team/a/orders')
    t.same(await store.list(''), [{ name: 'team', kind: 'directory' }])
    t.same(await store.list('team/a'), [{ name: 'orders', kind: 'topic' }])
    await t.rejects(store.rmdir('team/a'), { code: 'ENOTEMPTY' })
    await t.rejects(store.rmdir('team/a/orders'), { code: 'ENOTDIR' })
    await t.rejects(store.rmdir(''), { code: 'EPERM' })
    await t.rejects(store.list('nope'), { code: 'ENOENT' })
    await store.remove('team/a/orders')
    await store.rmdir('team/a')
    t.same(await store.list('team'), [])
  })

  t.test('ownership: stored at creation, changed by changeOwnership, absent for entries made without', async t => {
    const store = freshStore()
    const made = await store.create('t', { owner: 1000, group: 100, mode: 0o100640 })
    t.match(made, { owner: 1000, group: 100, mode: 0o640 }, 'the mode keeps its permission bits only')
    await store.mkdir('d', { owner: 1001, group: 101, mode: 0o41777 })
    t.match(await store.stat('d'), { kind: 'directory', owner: 1001, group: 101, mode: 0o1777 })
    await store.create('plain')
    await store.mkdir('plaindir')
    const plain = await store.statTopic('plain')
    t.same([plain?.owner, plain?.group, plain?.mode], [undefined, undefined, undefined], 'a topic made without an owner has none')
    const plainDir = await store.stat('plaindir') as DirectoryStat
    t.same([plainDir.owner, plainDir.group, plainDir.mode], [undefined, undefined, undefined], 'nor a directory')
    const root = await store.stat('') as DirectoryStat
    t.same([root.kind, root.owner, root.mode], ['directory', undefined, undefined], 'nor the root, until changed')

    await store.changeOwnership('t', { mode: 0o604 })
    await store.changeOwnership('t', { owner: 5 })
    t.match(await store.statTopic('t'), { owner: 5, group: 100, mode: 0o604 }, 'only what is given changes')
    await store.changeOwnership('plaindir', { owner: 7, group: 8, mode: 0o750 })
    t.match(await store.stat('plaindir'), { kind: 'directory', owner: 7, group: 8, mode: 0o750 })
    await store.changeOwnership('', { mode: 0o1777, owner: 0, group: 0 })
    t.match(await store.stat(''), { kind: 'directory', owner: 0, group: 0, mode: 0o1777 }, 'the root keeps its own')
    await t.rejects(store.changeOwnership('none', { mode: 0o600 }), { code: 'ENOENT' })
    await t.rejects(store.changeOwnership('d/none', { owner: 1 }), { code: 'ENOENT' })

    const { uid } = await store.create('d/x', { owner: 1, group: 2, mode: 0o600 })
    await store.append('d/x', uid, lines('kept'))
    await store.reset('d/x')
    t.match(await store.statTopic('d/x'), { owner: 1, group: 2, mode: 0o600 }, 'a reset keeps the owner')
    await store.remove('d/x')
    await store.create('d/x')
    t.equal((await store.statTopic('d/x'))?.owner, undefined, 'a topic made again does not inherit the old one\'s owner')
    await store.remove('d/x')
    await store.rmdir('d')
    await store.mkdir('d')
    t.equal((await store.stat('d') as DirectoryStat).owner, undefined, 'nor a directory made again')
    if (features.renamesTopics) {
      await store.rename('t', 'plaindir/t')
      t.match(await store.statTopic('plaindir/t'), { owner: 5, group: 100, mode: 0o604 }, 'a renamed topic keeps its owner')
    }
  })

  t.test('times: a directory\'s mtime and ctime move on each change of its entries; chmod moves a ctime', async t => {
    const store = freshStore()
    await store.mkdir('d')
    const timesOf = async (path: string): Promise<[number, number]> => {
      const stat = await store.stat(path) as DirectoryStat
      return [stat.mtimeMs ?? -1, stat.ctimeMs ?? -1]
    }
    const later = async (path: string, step: () => Promise<unknown>, what: string): Promise<void> => {
      const [mtime] = await timesOf(path)
      await new Promise(resolve => setTimeout(resolve, 3))
      await step()
      const [m, c] = await timesOf(path)
      t.ok(mtime > 0 && m > mtime && c >= m, what)
    }
    await later('d', () => store.create('d/t'), 'a topic created')
    await later('d', () => store.mkdir('d/e'), 'a directory made')
    await later('d', () => store.rmdir('d/e'), 'a directory removed')
    if (features.renamesTopics) {
      await store.mkdir('f')
      await later('d', () => store.rename('d/t', 'f/t'), 'a topic renamed away')
      await later('f', () => store.rename('f/t', 'd/t'), 'a topic renamed away from the other side')
      await later('d', () => store.rename('d/t', 'd/u'), 'a topic renamed within')
    }
    const [name] = (await store.list('d')).map(e => e.name)
    await later('d', () => store.remove(`d/${name!}`), 'a topic removed')
    await later('', () => store.mkdir('g'), 'the root too')

    const [, ctime] = await timesOf('g')
    await new Promise(resolve => setTimeout(resolve, 3))
    await store.changeOwnership('g', { mode: 0o700 })
    const [m2, c2] = await timesOf('g')
    t.ok(c2 > ctime && c2 > m2, 'chmod of a directory moves its ctime, not its mtime')

    const made = await store.create('t')
    await new Promise(resolve => setTimeout(resolve, 3))
    await store.changeOwnership('t', { owner: 3 })
    const changed = await store.statTopic('t')
    t.equal(changed?.mtimeMs, made.mtimeMs, 'chown of a topic leaves its mtime')
    t.ok(changed!.ctimeMs > made.ctimeMs, 'and moves its ctime')
  })

  t.test('directories: lookups and removals answer ENOENT, ENOTDIR and EISDIR', async t => {
    const store = freshStore()
    await store.mkdir('d')
    await store.create('d/t')
    await store.create('b')
    await store.create('a')
    await store.requireDirectory('')
    await store.requireDirectory('d')
    await t.rejects(store.requireDirectory('d/t'), { code: 'ENOTDIR' })
    await t.rejects(store.requireDirectory('nope'), { code: 'ENOENT' })
    await t.rejects(store.requireDirectory('nope/deeper'), { code: 'ENOENT' })
    await t.rejects(store.list('d/t'), { code: 'ENOTDIR' })
    await t.rejects(store.mkdir('d/t/x'), { code: 'ENOTDIR' })
    await t.rejects(store.mkdir('nope/x'), { code: 'ENOENT' })
    await t.rejects(store.rmdir('nope'), { code: 'ENOENT' })
    await t.rejects(store.rmdir('b'), { code: 'ENOTDIR' })
    t.same(await store.list(''), [{ name: 'a', kind: 'topic' }, { name: 'b', kind: 'topic' }, { name: 'd', kind: 'directory' }], 'sorted by name')
    await t.rejects(store.remove('d'), { code: 'EISDIR' }, 'remove deletes topics only')
    t.same(await store.list('d'), [{ name: 't', kind: 'topic' }], 'the directory and its children stay')
    await t.rejects(store.remove('d/none'), { code: 'ENOENT' })
  })

  t.test('rename moves a topic with its messages and identity, replacing a topic at the target', async t => {
    const store = freshStore()
    const { uid, gen } = await store.create('from')
    await store.append('from', uid, lines('kept'))
    await store.create('to')
    await store.mkdir('dir')
    if (!features.renamesTopics) {
      await t.rejects(store.rename('from', 'to'), { code: 'EXDEV' })
      t.equal((await readAll(store, 'from')).toString(), 'kept\n', 'untouched')
      return
    }
    await store.rename('from', 'to')
    t.equal(await store.stat('from'), undefined)
    const moved = await store.statTopic('to')
    t.same([moved?.uid, moved?.gen, moved?.entries], [uid, gen, 1], 'the same topic under its new name')
    t.equal((await readAll(store, 'to')).toString(), 'kept\n')
    t.same((await store.list('')).map(e => e.name), ['dir', 'to'])
    await store.append('to', uid, lines('same identity'))
    await store.rename('to', 'dir/moved')
    t.same(await store.list('dir'), [{ name: 'moved', kind: 'topic' }])
    t.equal((await readAll(store, 'dir/moved')).toString(), 'kept\nsame identity\n')
    await store.rename('dir/moved', 'dir/moved')
    t.equal((await store.statTopic('dir/moved'))?.uid, uid, 'a rename onto itself changes nothing')
  })

  t.test('rename refuses what rename(2) refuses, and moves no directory', async t => {
    const store = freshStore()
    await store.create('t')
    await store.create('t2')
    await store.mkdir('dir')
    await store.mkdir('full')
    await store.create('full/x')
    await t.rejects(store.rename('missing', 'x'), { code: 'ENOENT' })
    await t.rejects(store.rename('t', 'dir'), { code: 'EISDIR' })
    await t.rejects(store.rename('dir', 't2'), { code: 'ENOTDIR' })
    await t.rejects(store.rename('dir', 'full'), { code: 'ENOTEMPTY' })
    await t.rejects(store.rename('dir', 'elsewhere'), { code: 'EXDEV' })
    await t.rejects(store.rename('t', '.follow'), { code: 'EPERM' })
    await t.rejects(store.rename('t', 'a//b'), { code: 'EINVAL' })
    await t.rejects(store.rename('t', 'n'.repeat(256)), { code: 'ENAMETOOLONG' })
    if (features.renamesTopics) {
      await t.rejects(store.rename('t', 'nowhere/t'), { code: 'ENOENT' })
      await t.rejects(store.rename('t', 't2/t'), { code: 'ENOTDIR' })
    }
    t.same((await store.list('')).map(e => e.name), ['dir', 'full', 't', 't2'], 'nothing moved')
    t.same((await store.list('full')).map(e => e.name), ['x'])
  })

  t.test('locate follows renames, and finds nothing once the topic is gone', async t => {
    const store = freshStore()
    const { uid } = await store.create('a')
    t.equal(await store.locate('a', uid), 'a')
    t.equal(await store.locate('a', 'other'), undefined)
    if (!features.renamesTopics) return
    await store.mkdir('d')
    await store.rename('a', 'b')
    await store.rename('b', 'd/c')
    t.equal(await store.locate('a', uid), 'd/c', 'through two renames')
    t.equal(await store.locate('b', uid), 'd/c')
    t.equal(await store.locate('d/c', uid), 'd/c')
    const other = await store.create('a')
    t.equal(await store.locate('a', other.uid), 'a', 'the new topic at the old name is another')
    t.equal(await store.locate('a', uid), 'd/c')
    const { uid: replaced } = await store.create('victim')
    await store.rename('a', 'victim')
    t.equal(await store.locate('victim', replaced), undefined, 'a topic replaced by a rename is gone')
    await store.remove('d/c')
    t.equal(await store.locate('a', uid), undefined, 'a removed topic is nowhere')
  })

  t.test('firstId and keyOf', async t => {
    const store = freshStore()
    const { uid } = await store.create('k')
    t.equal(await store.firstId('k'), undefined)
    t.equal(await store.firstId('none'), undefined)
    await store.append('k', uid, lines('1', '2'))
    const first = await store.readAfter('k', FROM_FIRST, 1)
    t.equal(await store.firstId('k'), first?.lastId)
    t.ok(store.keyOf('k').length > 0)
    t.not(store.keyOf('k'), store.keyOf('team/k'), 'one name per path')
    t.equal(store.keyOf('k'), store.keyOf('k'))
  })

  t.test('waitForEntries: data when an entry is appended after the id', async t => {
    const store = freshStore()
    const { uid, lastId } = await store.create('w')
    const signal = new AbortController().signal
    const waiting = store.waitForEntries('w', lastId, uid, signal)
    await store.append('w', uid, lines('wake'))
    await checkWokenByData(t, store, await waiting, 'w', lastId, uid, 'woken by an append')
    const newest = (await store.statTopic('w'))!.lastId
    await checkWokenByData(t, store, await store.waitForEntries('w', lastId, uid, signal), 'w', lastId, uid, 'at once when there already is one')
    const later = store.waitForEntries('w', newest, uid, signal)
    await store.append('w', uid, lines('again', 'and again'))
    await checkWokenByData(t, store, await later, 'w', newest, uid, 'woken by a later append')
  })

  t.test('waitForEntries: gone when the topic is removed, or replaced', async t => {
    const store = freshStore()
    const { uid, lastId } = await store.create('w')
    const signal = new AbortController().signal
    const removed = store.waitForEntries('w', lastId, uid, signal)
    await store.remove('w')
    await store.create('w')
    // All at once: an engine may notice removals only now and then.
    const replaced = store.waitForEntries('w', lastId, uid, signal)
    const none = store.waitForEntries('none', lastId, uid, signal)
    t.equal(await removed, 'gone', 'removed while waited on')
    t.equal(await replaced, 'gone', 'another topic at the same name')
    t.equal(await none, 'gone', 'no topic at all')
  })

  t.test('waitForEntries: gone when the topic is renamed away', async t => {
    if (!features.renamesTopics) return
    const store = freshStore()
    const { uid, lastId } = await store.create('w')
    const waiting = store.waitForEntries('w', lastId, uid, new AbortController().signal)
    await store.rename('w', 'elsewhere')
    t.equal(await waiting, 'gone')
    t.equal(await store.locate('w', uid), 'elsewhere')
  })

  t.test('waitForEntries: aborted by the signal, and by close()', async t => {
    const store = freshStore()
    const { uid, lastId } = await store.create('w')
    const controller = new AbortController()
    const waiting = store.waitForEntries('w', lastId, uid, controller.signal)
    controller.abort()
    t.equal(await waiting, 'aborted')
    t.equal(await store.waitForEntries('w', lastId, uid, controller.signal), 'aborted', 'an aborted signal does not wait')
    const never = new AbortController().signal
    const both = [store.waitForEntries('w', lastId, uid, never), store.waitForEntries('w', lastId, uid, never)]
    store.close()
    t.same(await Promise.all(both), ['aborted', 'aborted'])
  })

  t.test('a follower replays, gets new messages, goes on after a reset and ends at the removal', async t => {
    const store = freshStore()
    const { uid } = await store.create('fl')
    await store.append('fl', uid, lines('old 1', 'old 2'))
    const signal = new AbortController().signal
    const follower = new FollowCursor(store, 'fl', uid, FROM_FIRST)
    t.equal((await follower.read(1000, signal)).toString(), 'old 1\nold 2\n')
    const next = follower.read(1000, signal)
    await store.append('fl', uid, lines('new'))
    t.equal((await next).toString(), 'new\n')
    await store.reset('fl')
    await store.append('fl', uid, lines('after reset'))
    t.equal((await follower.read(1000, signal)).toString(), 'after reset\n')
    const last = follower.read(1000, signal)
    await store.remove('fl')
    t.equal((await last).length, 0, 'end of file')
  })

  t.test('a follower follows its topic through a rename', async t => {
    if (!features.renamesTopics) return
    const store = freshStore()
    const { uid, lastId } = await store.create('old')
    const follower = new FollowCursor(store, 'old', uid, lastId)
    const signal = new AbortController().signal
    const next = follower.read(1000, signal)
    await store.rename('old', 'new')
    await store.append('new', uid, lines('moved'))
    t.equal((await next).toString(), 'moved\n')
    t.equal(follower.path, 'new')
  })
}
