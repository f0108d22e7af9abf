import { constants } from 'node:fs'
import t from 'tap'
import { MemoryEngine } from '../../../src/topics/memory/memory-engine'
import { spyEngine } from '../../helpers/engine-spy'
import { cat, filesystem, put } from '../../helpers/filesystem-calls'

// MountedTree, through DnpipesFilesystem on the memory engine: attributes, listings and the
// namespace operations without FUSE or Redis.

// Linux's values, as the kernel passes them to the filesystem.
const { S_IFREG, S_IFDIR, X_OK } = constants

t.test('getattr: topics with their exact size, directories, views (size 0)', async t => {
  const fs = filesystem()
  await fs.mkdir('/d')
  await put(fs, '/d/t', 'hello\nworld\n')
  const topic = await fs.getattr('/d/t')
  t.equal(topic.mode, S_IFREG | 0o644)
  t.equal(topic.size, 12)
  t.equal(topic.nlink, 1)
  t.equal(topic.uid, process.getuid?.())
  const stat = await fs.engine.statTopic('d/t')
  t.equal(topic.mtime, stat?.mtimeMs, 'mtime is the newest message')
  t.equal((await fs.getattr('/d')).mode, S_IFDIR | 0o755)
  t.equal((await fs.getattr('/')).mode, S_IFDIR | 0o755)
  for (const view of ['/.follow/d/t', '/.live/d/t']) {
    const attr = await fs.getattr(view)
    t.same([attr.mode, attr.size], [S_IFREG | 0o444, 0], `${view}: read-only, no size of its own`)
  }
  t.equal((await fs.getattr('/.follow')).mode, S_IFDIR | 0o555)
  t.equal((await fs.getattr('/.live/d')).mode, S_IFDIR | 0o555)
  await t.rejects(fs.getattr('/none'), { code: 'ENOENT' })
  await t.rejects(fs.getattr('/.follow/none'), { code: 'ENOENT' })
  await put(fs, '/d/t', 'more\n')
  t.equal((await fs.getattr('/d/t')).size, 17, 'never stale')
})

t.test('access: topics are not executable', async t => {
  const fs = filesystem()
  await put(fs, '/t', '')
  await fs.access('/t', 0)
  await t.rejects(fs.access('/t', X_OK), { code: 'EACCES' })
  await fs.access('/', X_OK)
  await t.rejects(fs.access('/none', 0), { code: 'ENOENT' })
})

t.test('readdir: the views at the root, the names sorted; the views list no children', async t => {
  const fs = filesystem()
  await fs.mkdir('/team')
  await put(fs, '/b', '')
  await put(fs, '/a', '')
  await put(fs, '/team/orders', '')
  t.same(await fs.readdir('/'), ['.', '..', '.follow', '.live', '.group', '.delay', 'a', 'b', 'team'])
  t.same(await fs.readdir('/team'), ['.', '..', 'orders'])
  t.same(await fs.readdir('/.follow'), ['.', '..'])
  t.same(await fs.readdir('/.live/team'), ['.', '..'])
  t.same(await fs.readdir('/.group'), ['.', '..'], 'no groups listed')
  t.same(await fs.readdir('/.group/workers'), ['.', '..'])
  t.same(await fs.readdir('/.group/workers/team'), ['.', '..'])
  await t.rejects(fs.readdir('/.group/workers/none'), { code: 'ENOENT' })
  await t.rejects(fs.readdir('/none'), { code: 'ENOENT' })
  await t.rejects(fs.readdir('/.follow/none'), { code: 'ENOENT' })
  await t.rejects(fs.readdir('/a'), { code: 'ENOTDIR' })
  await t.rejects(fs.readdir('/.live/a'), { code: 'ENOTDIR' })
})

t.test('truncate: 0 resets, any other size is EINVAL', async t => {
  const fs = filesystem()
  await put(fs, '/t', 'abc\n')
  const before = await fs.engine.statTopic('t')
  await t.rejects(fs.truncate('/t', 2), { code: 'EINVAL' })
  await t.rejects(fs.truncate('/t', 100), { code: 'EINVAL' })
  t.equal(await cat(fs, '/t'), 'abc\n', 'untouched')
  await fs.truncate('/t', 0)
  const after = await fs.engine.statTopic('t')
  t.same([after?.size, after?.uid], [0, before?.uid])
  t.not(after?.gen, before?.gen)
  await t.rejects(fs.truncate('/none', 0), { code: 'ENOENT' })
  await fs.mkdir('/d')
  await t.rejects(fs.truncate('/d', 0), { code: 'EISDIR' })
})

t.test('unlink removes a topic; a .fuse_hidden name is answered as done without the engine', async t => {
  const spy = spyEngine()
  const fs = filesystem({}, spy.engine)
  await put(fs, '/t', 'x\n')
  await fs.unlink('/t')
  t.equal(await fs.engine.stat('t'), undefined)
  await t.rejects(fs.unlink('/t'), { code: 'ENOENT' })
  spy.calls.length = 0
  await fs.unlink('/.fuse_hidden0000000100000002')
  await fs.unlink('/d/.fuse_hidden7')
  t.same(spy.calls, [], 'the engine was not asked')
})

t.test('xattrs: user.dnpipes.* values; other names undefined without the engine; no changes', async t => {
  const spy = spyEngine()
  const fs = filesystem({}, spy.engine)
  await put(fs, '/t', 'a\nb\n')
  const value = async (path: string, name: string): Promise<string | undefined> => (await fs.getxattr(path, `user.dnpipes.${name}`))?.toString()
  t.equal(await value('/t', 'entries'), '2')
  t.equal(await value('/t', 'key'), spy.inner.keyOf('t'))
  t.equal(await value('/t', 'first-id'), await spy.inner.firstId('t'))
  t.equal(await value('/t', 'last-id'), (await spy.inner.statTopic('t'))?.lastId)
  t.equal(await value('/.follow/t', 'entries'), '2', 'also through a view')
  t.same(await fs.listxattr('/t'), ['user.dnpipes.key', 'user.dnpipes.entries', 'user.dnpipes.first-id', 'user.dnpipes.last-id'])
  t.same(await fs.listxattr('/'), [])
  await t.rejects(fs.getxattr('/none', 'user.dnpipes.entries'), { code: 'ENOENT' })
  spy.calls.length = 0
  for (const name of ['security.capability', 'system.posix_acl_access', 'user.other', 'user.dnpipes.nope']) {
    t.equal(await fs.getxattr('/t', name), undefined, name)
  }
  t.same(spy.calls, [], 'the engine was not asked')
  await t.rejects(fs.setxattr('/t', 'user.dnpipes.key', Buffer.from('x')), { code: 'ENOTSUP' })
  await t.rejects(fs.setxattr('/t', 'user.comment', Buffer.from('x')), { code: 'ENOTSUP' })
  await t.rejects(fs.removexattr('/t', 'user.comment'), { code: 'ENOTSUP' })
})

t.test('retention limits are extended attributes: set, shown, listed while set, lifted', async t => {
  const fs = filesystem()
  await put(fs, '/t', 'a\nb\nc\nd\n')
  await fs.setxattr('/t', 'user.dnpipes.retain-messages', Buffer.from('2'))
  t.equal(await cat(fs, '/t'), 'c\nd\n', 'applied at once')
  await fs.setxattr('/t', 'user.dnpipes.retain-bytes', Buffer.from('1K'))
  t.equal((await fs.getxattr('/t', 'user.dnpipes.retain-messages'))?.toString(), '2')
  t.equal((await fs.getxattr('/t', 'user.dnpipes.retain-bytes'))?.toString(), '1024')
  t.equal(await fs.getxattr('/t', 'user.dnpipes.retain-seconds'), undefined, 'not set: ENODATA')
  t.same((await fs.listxattr('/t')).filter(name => name.includes('retain')), ['user.dnpipes.retain-messages', 'user.dnpipes.retain-bytes'])
  for (const bad of ['0', '-1', 'x', '1.5', '']) {
    await t.rejects(fs.setxattr('/t', 'user.dnpipes.retain-messages', Buffer.from(bad)), { code: 'EINVAL' }, `"${bad}"`)
  }
  await t.rejects(fs.setxattr('/t', 'user.dnpipes.retain-seconds', Buffer.from('5M')), { code: 'EINVAL' }, 'units are for bytes')
  await t.rejects(fs.setxattr('/.follow/t', 'user.dnpipes.retain-messages', Buffer.from('1')), { code: 'EROFS' })
  await t.rejects(fs.setxattr('/none', 'user.dnpipes.retain-messages', Buffer.from('1')), { code: 'ENOENT' })
  await fs.mkdir('/d', 0o755)
  await t.rejects(fs.setxattr('/d', 'user.dnpipes.retain-messages', Buffer.from('1')), { code: 'EISDIR' })
  await fs.removexattr('/t', 'user.dnpipes.retain-messages')
  await t.rejects(fs.removexattr('/t', 'user.dnpipes.retain-messages'), { code: 'ENODATA' })
  await put(fs, '/t', 'e\nf\n')
  t.equal(await cat(fs, '/t'), 'c\nd\ne\nf\n', 'the bytes limit alone is left')
})

t.test('a new topic or directory belongs to its caller, with the mode it asked for less its umask', async t => {
  const fs = filesystem()
  await fs.release('/t', await fs.create('/t', 0o100666, { uid: 1000, gid: 100, tid: 1, umask: 0o027, opcode: 35 }))
  await fs.mkdir('/d', 0o40777, { uid: 1001, gid: 101, tid: 1, umask: 0o002, opcode: 35 })
  const topic = await fs.getattr('/t')
  t.same([topic.mode, topic.uid, topic.gid], [S_IFREG | 0o640, 1000, 100])
  const dir = await fs.getattr('/d')
  t.same([dir.mode, dir.uid, dir.gid], [S_IFDIR | 0o775, 1001, 101])
  t.equal((await fs.getattr('/.follow/t')).mode, S_IFREG | 0o440, 'a view shows the stored mode without its write bits')
  await fs.mkdir('/s', 0o1777, { uid: 0, gid: 0, tid: 1, umask: 0o022, opcode: 35 })
  t.equal((await fs.getattr('/s')).mode, S_IFDIR | 0o1755, 'the sticky bit is kept')
})

t.test('without a caller, a new entry gets the mount\'s --uid, --gid and --umask', async t => {
  const fs = filesystem({ shownAs: { uid: 7, gid: 8, umask: 0o077 } })
  await fs.release('/t', await fs.create('/t'))
  await fs.mkdir('/d')
  const topic = await fs.getattr('/t')
  t.same([topic.mode, topic.uid, topic.gid], [S_IFREG | 0o600, 7, 8])
  const dir = await fs.getattr('/d')
  t.same([dir.mode, dir.uid, dir.gid], [S_IFDIR | 0o700, 7, 8])
})

t.test('chmod, chown and chgrp are stored; -1 leaves an id as it is', async t => {
  const engine = new MemoryEngine()
  const fs = filesystem({}, engine)
  await put(fs, '/t', '')
  await fs.mkdir('/d', 0o755)
  await fs.chmod('/t', 0o100604)
  await fs.chown('/t', 1000, -1)
  await fs.chown('/t', 0xffffffff, 50)
  const topic = await fs.getattr('/t')
  t.same([topic.mode, topic.uid, topic.gid], [S_IFREG | 0o604, 1000, 50])
  await fs.chmod('/d', 0o3770)
  await fs.chown('/d', 5, 6)
  const dir = await fs.getattr('/d')
  t.same([dir.mode, dir.uid, dir.gid], [S_IFDIR | 0o3770, 5, 6])
  await fs.chmod('/', 0o1777)
  await fs.chown('/', 9, 9)
  const root = await fs.getattr('/')
  t.same([root.mode, root.uid, root.gid], [S_IFDIR | 0o1777, 9, 9], 'the root keeps them too')
  t.match(await engine.stat(''), { kind: 'directory', mode: 0o1777, owner: 9, group: 9 }, 'stored in the engine, not in the mount')
  await t.rejects(fs.chmod('/none', 0o644), { code: 'ENOENT' })
  await t.rejects(fs.chown('/none', 1, 1), { code: 'ENOENT' })
})

t.test('chmod changes a topic\'s ctime, not its mtime; utimens is accepted on what exists', async t => {
  const fs = filesystem()
  await put(fs, '/t', 'x\n')
  const before = await fs.getattr('/t')
  await new Promise(resolve => setTimeout(resolve, 5))
  await fs.chmod('/t', 0o600)
  const after = await fs.getattr('/t')
  t.equal(after.mtime, before.mtime)
  t.ok(Number(after.ctime) > Number(before.ctime))
  await fs.utimens('/t')
  await fs.utimens('/')
  await t.rejects(fs.utimens('/none'), { code: 'ENOENT' })
})

t.test('a directory\'s mtime and ctime change when an entry is added, removed or renamed in it', async t => {
  const fs = filesystem()
  await fs.mkdir('/d')
  const times = async (): Promise<[number, number]> => {
    const attr = await fs.getattr('/d')
    return [Number(attr.mtime), Number(attr.ctime)]
  }
  const later = async (step: () => Promise<unknown>, what: string): Promise<void> => {
    const [mtime] = await times()
    await new Promise(resolve => setTimeout(resolve, 5))
    await step()
    const [m, c] = await times()
    t.ok(m > mtime && c >= m, what)
  }
  await later(() => put(fs, '/d/t', ''), 'create')
  await later(() => fs.rename('/d/t', '/d/u'), 'rename')
  await later(() => fs.unlink('/d/u'), 'unlink')
  await later(() => fs.mkdir('/d/e'), 'mkdir')
  await later(() => fs.rmdir('/d/e'), 'rmdir')
})

t.test('a lookup of a name the last readdir listed asks nothing of the engine, once; a getattr always asks', async t => {
  const spy = spyEngine()
  const fs = filesystem({}, spy.engine)
  await put(fs, '/t', '')
  await fs.mkdir('/sub')
  await put(fs, '/sub/x', 'hello\n')
  await fs.readdir('/sub')
  spy.calls.length = 0
  const looked = await fs.getattr('/sub/x', true)
  t.equal(looked.mode & 0o170000, S_IFREG, 'the listed kind')
  t.same(spy.calls, [], 'answered from the listing')
  t.equal((await fs.getattr('/sub/x')).size, 6, 'the getattr that follows is the engine\'s')
  t.same(spy.calls, ['stat'])
  spy.calls.length = 0
  await fs.getattr('/sub/x', true)
  t.same(spy.calls, ['stat'], 'a second lookup of the name asks the engine')

  await fs.readdir('/')
  spy.calls.length = 0
  t.equal((await fs.getattr('/sub', true)).mode & 0o170000, S_IFDIR)
  await t.rejects(fs.getattr('/none', true), { code: 'ENOENT' }, 'a name not listed is looked up in the engine')
  t.same(spy.calls, ['stat'])

  await fs.readdir('/')
  await fs.unlink('/t')
  spy.calls.length = 0
  await t.rejects(fs.getattr('/t', true), { code: 'ENOENT' }, 'what this mount removed is forgotten')
  await fs.readdir('/')
  await fs.rename('/sub/x', '/y')
  await t.rejects(fs.getattr('/sub/x', true), { code: 'ENOENT' })
  await fs.readdir('/.follow')
  spy.calls.length = 0
  await fs.getattr('/.follow/y', true)
  t.same(spy.calls, ['stat'], 'views are always looked up in the engine')
})

t.test('knownAttr answers without I/O what needs none: a listed name\'s lookup, a directory the engine holds', async t => {
  const inner = new MemoryEngine()
  await inner.mkdir('held', { owner: 7, group: 8, mode: 0o1777 })
  const { uid } = await inner.create('held/t')
  await inner.append('held/t', uid, [{ payload: Buffer.from('x'), verbatim: false }])
  const holding = Object.assign(Object.create(inner) as MemoryEngine, {
    heldDirectory: (path: string) => path === 'held' ? { kind: 'directory' as const, owner: 7, group: 8, mode: 0o1777 } : undefined
  })
  const spy = spyEngine(holding)
  const fs = filesystem({}, spy.engine)
  spy.calls.length = 0
  const held = fs.knownAttr('/held')
  t.same([held?.mode, held?.uid], [S_IFDIR | 0o1777, 7])
  t.equal(fs.knownAttr('/.follow/held')?.mode, S_IFDIR | 0o1555, 'through a view, without write bits')
  t.equal(fs.knownAttr('/held/t'), undefined, 'a topic is never held: its size must be now')
  t.equal(fs.knownAttr('/held/t', true), undefined, 'nor looked up from a listing not made')
  await fs.readdir('/held')
  spy.calls.length = 0
  t.equal((fs.knownAttr('/held/t', true)?.mode ?? 0) & 0o170000, S_IFREG, 'the lookup of a listed name')
  t.equal((await fs.getattr('/held/t')).size, 2, 'and the getattr after it asks the engine')
  t.same(spy.calls.filter(call => call !== 'heldDirectory'), ['stat'])
  t.throws(() => fs.knownAttr('/bad\uFFFDname'), { code: 'EILSEQ' }, 'what resolve() refuses it refuses')
})

t.test('stat of a name not listed: the getattr after the lookup asks the engine no more, unless this mount changed it meanwhile', async t => {
  const spy = spyEngine()
  // A window no loaded machine outlasts between two lines (its length is just-looked-up.ts's test).
  const fs = filesystem({ lookupFreshMs: 60_000 }, spy.engine)
  await put(fs, '/t', 'one\n')
  spy.calls.length = 0
  t.equal((await fs.getattr('/t', true)).size, 4, 'the lookup')
  t.equal(fs.knownAttr('/t')?.size, 4, 'the getattr right after it, answered at once')
  t.same(spy.calls.filter(call => call === 'stat'), ['stat'], 'one stat for both')
  await fs.getattr('/t', true)
  fs.noteChange()
  t.equal(fs.knownAttr('/t'), undefined, 'after a change of this mount the getattr asks')
  t.equal((await fs.getattr('/t')).size, 4)
})
