import { constants } from 'node:fs'
import fc from 'fast-check'
import t from 'tap'
import { buildAttr, creatorOf, inheritFrom } from '../../../src/mount/attrs'
import type { TopicStat } from '../../../src/topics/types'

const MOUNTED = 1_700_000_000_000
const owner = { uid: 1000, gid: 100, readOnly: false }
const topic = (size: number, mtimeMs: number, ctimeMs: number): TopicStat =>
  ({ kind: 'topic', uid: 'u', size, entries: 1, mtimeMs, ctimeMs, gen: '0', lastId: '1-0', retention: {}, scheduled: 0 })

t.test('a topic is a regular file of its exact size, dated by its newest message', async t => {
  const attr = buildAttr(topic(1234, MOUNTED + 5000, MOUNTED + 1000), owner, MOUNTED)
  t.equal(attr.mode & constants.S_IFMT, constants.S_IFREG)
  t.equal(attr.mode & 0o7777, 0o644)
  t.same(attr, {
    mode: constants.S_IFREG | 0o644, uid: 1000, gid: 100, size: 1234, nlink: 1, blocks: 3, blksize: 4096,
    mtime: MOUNTED + 5000, atime: MOUNTED + 5000, ctime: MOUNTED + 5000
  })
  t.equal(buildAttr(topic(10, MOUNTED, MOUNTED + 7), owner, MOUNTED).ctime, MOUNTED + 7, 'a change newer than the last message (a reset)')
  t.equal(buildAttr(topic(0, MOUNTED, MOUNTED), owner, 0).blocks, 0, 'an empty topic has no blocks')
  t.equal(buildAttr(topic(10, MOUNTED, MOUNTED), { ...owner, readOnly: true }, MOUNTED).mode, constants.S_IFREG | 0o444, 'read-only: no write bits')
})

t.test('blocks are 512-byte units rounded up, ctime never before mtime', async () => {
  fc.assert(fc.property(fc.nat(2 ** 40), fc.nat(2 ** 41), fc.nat(2 ** 41), (size, mtime, ctime) => {
    const attr = buildAttr(topic(size, mtime, ctime), owner, MOUNTED)
    const blocks = attr.blocks!
    return attr.size === size && blocks * 512 >= size && (blocks - 1) * 512 < size + (size === 0 ? 512 : 0) &&
      attr.ctime === Math.max(mtime, ctime) && attr.mtime === mtime && attr.atime === mtime
  }), { numRuns: 300 })
})

t.test('a directory is dated by the mount and has the usual size', async t => {
  const attr = buildAttr({ kind: 'directory' }, owner, MOUNTED)
  t.same(attr, {
    mode: constants.S_IFDIR | 0o755, uid: 1000, gid: 100, size: 4096, nlink: 2, blocks: 8, blksize: 4096,
    mtime: MOUNTED, atime: MOUNTED, ctime: MOUNTED
  })
  t.equal(attr.mode & constants.S_IFMT, constants.S_IFDIR)
  t.equal(buildAttr({ kind: 'directory' }, { uid: 0, gid: 0, readOnly: true }, MOUNTED).mode, constants.S_IFDIR | 0o555)
})

t.test('the umask takes bits from 0666 and 0777; read-only takes the write bits too', async t => {
  const mode = (stat: Parameters<typeof buildAttr>[0], umask: number, readOnly = false) => buildAttr(stat, { ...owner, umask, readOnly }, MOUNTED).mode & 0o7777
  const file = topic(1, MOUNTED, MOUNTED)
  const dir = { kind: 'directory' as const }
  t.same([mode(file, 0o022), mode(dir, 0o022)], [0o644, 0o755], 'the default, as without a umask')
  t.same([mode(file, 0o002), mode(dir, 0o002)], [0o664, 0o775])
  t.same([mode(file, 0o000), mode(dir, 0o000)], [0o666, 0o777])
  t.same([mode(file, 0o077), mode(dir, 0o077)], [0o600, 0o700])
  t.same([mode(file, 0o000, true), mode(dir, 0o000, true)], [0o444, 0o555])
})

t.test('stored owner, group and mode win over the mount\'s; read-only still takes the write bits', async t => {
  const stored = { ...topic(1, MOUNTED, MOUNTED), owner: 7, group: 8, mode: 0o4751 }
  const attr = buildAttr(stored, { ...owner, umask: 0o077 }, MOUNTED)
  t.same([attr.mode, attr.uid, attr.gid], [constants.S_IFREG | 0o4751, 7, 8])
  t.equal(buildAttr(stored, { ...owner, readOnly: true }, MOUNTED).mode, constants.S_IFREG | 0o4551)
  const partly = buildAttr({ ...topic(1, MOUNTED, MOUNTED), mode: 0o600 }, owner, MOUNTED)
  t.same([partly.mode & 0o7777, partly.uid, partly.gid], [0o600, 1000, 100], 'each field on its own')
  const dir = buildAttr({ kind: 'directory', owner: 0, group: 0, mode: 0o1777, mtimeMs: MOUNTED + 9, ctimeMs: MOUNTED + 12 }, owner, MOUNTED)
  t.same([dir.mode, dir.uid, dir.gid, dir.mtime, dir.atime, dir.ctime], [constants.S_IFDIR | 0o1777, 0, 0, MOUNTED + 9, MOUNTED + 9, MOUNTED + 12],
    'a directory is dated by its last change')
})

t.test('a new entry is its caller\'s, with the mode asked for less the caller\'s umask; the mount\'s without a caller', async t => {
  const caller = { uid: 1000, gid: 1001, tid: 4, umask: 0o027, opcode: 35 }
  t.same(creatorOf(0o100666, caller, owner), { owner: 1000, group: 1001, mode: 0o640 }, 'the file type bits go')
  t.same(creatorOf(0o41777, { ...caller, umask: 0 }, owner), { owner: 1000, group: 1001, mode: 0o1777 }, 'the sticky bit stays')
  t.same(creatorOf(0o666, undefined, { uid: 3, gid: 4, umask: 0o002 }), { owner: 3, group: 4, mode: 0o664 })
  t.same(creatorOf(0o777, undefined, { uid: 3, gid: 4 }), { owner: 3, group: 4, mode: 0o755 }, 'the default umask')
})

t.test('a setgid directory gives new entries its group, and new directories its setgid bit', async t => {
  const creator = { owner: 1000, group: 1000, mode: 0o755 }
  const setgid = { kind: 'directory' as const, owner: 0, group: 50, mode: 0o2775 }
  t.same(inheritFrom(setgid, creator, false, owner), { owner: 1000, group: 50, mode: 0o755 })
  t.same(inheritFrom(setgid, creator, true, owner), { owner: 1000, group: 50, mode: 0o2755 })
  t.same(inheritFrom({ kind: 'directory', mode: 0o2777 }, creator, false, owner).group, owner.gid, 'a stored mode without a stored group: the shown group')
  t.same(inheritFrom({ kind: 'directory', group: 50, mode: 0o775 }, creator, true, owner), creator, 'no setgid bit: the caller\'s')
  t.same(inheritFrom({ kind: 'directory' }, creator, true, owner), creator, 'nothing stored: the caller\'s')
  t.same(inheritFrom(undefined, creator, true, owner), creator)
})
