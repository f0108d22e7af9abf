import { constants } from 'node:fs'
import t from 'tap'
import { MemoryEngine } from '../../../src/topics/memory/memory-engine'
import { messagesOf, readAll } from '../../helpers/topic-io'
import { spyEngine } from '../../helpers/engine-spy'
import { cat, filesystem, put } from '../../helpers/filesystem-calls'

// DnpipesFilesystem on the memory engine: the open files' operations without FUSE or Redis
// (the tree's attributes and namespace operations: mounted-tree.test.ts).
// Waits are on promises; the timeout only bounds a test whose wait never ends.
t.setTimeout(30_000)

// Linux's values, as the kernel passes them to the filesystem.
const { O_RDONLY, O_WRONLY, O_RDWR, O_TRUNC, S_IFREG, S_IFDIR } = constants

t.test('path rules hold in every operation: EILSEQ, ENAMETOOLONG', async t => {
  const fs = filesystem()
  const bad = '/bad\uFFFDname'
  const long = '/' + 'n'.repeat(256)
  for (const path of [bad, long]) {
    const code = path === bad ? 'EILSEQ' : 'ENAMETOOLONG'
    await t.rejects(fs.getattr(path), { code }, `getattr ${code}`)
    await t.rejects(fs.create(path), { code }, `create ${code}`)
    await t.rejects(fs.open(path, O_RDONLY), { code }, `open ${code}`)
    await t.rejects(fs.mkdir(path), { code }, `mkdir ${code}`)
    await t.rejects(fs.unlink(path), { code }, `unlink ${code}`)
    await t.rejects(fs.rename('/x', path), { code }, `rename ${code}`)
    await t.rejects(fs.truncate(path, 0), { code }, `truncate ${code}`)
    await t.rejects(fs.readdir(path), { code }, `readdir ${code}`)
    await t.rejects(fs.listxattr(path), { code }, `listxattr ${code}`)
    await t.rejects(fs.setxattr(path, 'user.x', Buffer.from('1')), { code }, `setxattr ${code}`)
  }
  await put(fs, '/' + 'n'.repeat(255), 'ok\n')
  t.equal(await cat(fs, '/' + 'n'.repeat(255)), 'ok\n', '255 bytes is a valid name')
})

t.test('the views are read-only: EROFS for every change inside them', async t => {
  const fs = filesystem()
  await put(fs, '/t', 'x\n')
  await t.rejects(fs.create('/.follow/new'), { code: 'EROFS' })
  await t.rejects(fs.open('/.follow/t', O_WRONLY), { code: 'EROFS' })
  await t.rejects(fs.open('/.live/t', O_RDWR), { code: 'EROFS' })
  await t.rejects(fs.mkdir('/.live/d'), { code: 'EROFS' })
  await t.rejects(fs.rmdir('/.follow'), { code: 'EROFS' })
  await t.rejects(fs.unlink('/.follow/t'), { code: 'EROFS' })
  await t.rejects(fs.truncate('/.live/t', 0), { code: 'EROFS' })
  await t.rejects(fs.rename('/.follow/t', '/u'), { code: 'EROFS' })
  await t.rejects(fs.rename('/t', '/.live/t'), { code: 'EROFS' })
  await t.rejects(fs.chmod('/.follow/t', 0o600), { code: 'EROFS' })
  await t.rejects(fs.chown('/.live/t', 1, 1), { code: 'EROFS' })
  await t.rejects(fs.utimens('/.follow/t'), { code: 'EROFS' })
  await t.rejects(fs.mkdir('/.follow'), { code: 'EROFS' }, 'nor the views themselves')
  t.equal(await cat(fs, '/t'), 'x\n', 'nothing changed')
})

t.test('a read-only mount refuses every change with EROFS and still reads', async t => {
  const engine = new MemoryEngine()
  const { uid } = await engine.create('t')
  await engine.append('t', uid, [{ payload: Buffer.from('x'), verbatim: false }])
  await engine.mkdir('d')
  const fs = filesystem({ readOnly: true }, engine)
  await t.rejects(fs.create('/new'), { code: 'EROFS' })
  await t.rejects(fs.open('/t', O_WRONLY), { code: 'EROFS' })
  await t.rejects(fs.open('/t', O_RDWR | O_TRUNC), { code: 'EROFS' })
  await t.rejects(fs.mkdir('/e'), { code: 'EROFS' })
  await t.rejects(fs.rmdir('/d'), { code: 'EROFS' })
  await t.rejects(fs.unlink('/t'), { code: 'EROFS' })
  await t.rejects(fs.truncate('/t', 0), { code: 'EROFS' })
  await t.rejects(fs.rename('/t', '/u'), { code: 'EROFS' })
  await t.rejects(fs.chmod('/t', 0o600), { code: 'EROFS' })
  await t.rejects(fs.chown('/', 1, 1), { code: 'EROFS' })
  await t.rejects(fs.utimens('/t'), { code: 'EROFS' })
  t.equal(await cat(fs, '/t'), 'x\n')
  t.equal((await fs.getattr('/t')).mode, S_IFREG | 0o444)
  t.equal((await fs.getattr('/d')).mode, S_IFDIR | 0o555)
})

t.test('create, write, read, flush and release', async t => {
  const counts = { pushed: 0, read: 0 }
  const fs = filesystem({ onMessages: (direction, count) => { counts[direction] += count } })
  const handle = await fs.create('/t')
  t.equal(await fs.write('/t', handle, Buffer.from('one\ntw')), 6, 'the whole write is taken')
  t.equal(await fs.write('/t', handle, Buffer.from('o\n')), 2)
  t.equal((await fs.read('/t', handle, 100, 0)).toString(), 'one\ntwo\n', 'reads through the handle it writes with')
  t.equal((await fs.read('/t', handle, 3, 4)).toString(), 'two', 'at any offset')
  await fs.write('/t', handle, Buffer.from('three'))
  await fs.flush('/t', handle)
  t.equal(await cat(fs, '/t'), 'one\ntwo\nthree', 'the flush pushed the partial line')
  await fs.release('/t', handle)
  await t.rejects(fs.read('/t', handle, 10, 0), { code: 'EBADF' }, 'a released handle is gone')
  await t.rejects(fs.write('/t', handle, Buffer.from('x')), { code: 'EBADF' })
  t.equal(counts.pushed, 3)
  t.ok(counts.read > 0)
  const reader = await fs.open('/t', O_RDONLY)
  await t.rejects(fs.write('/t', reader, Buffer.from('x\n')), { code: 'EBADF' }, 'not open for writing')
  await fs.release('/t', reader)
})

t.test('create of a name that exists opens it; of a directory is EISDIR', async t => {
  const fs = filesystem()
  await put(fs, '/t', 'first\n')
  await put(fs, '/t', 'second\n')
  t.equal(await cat(fs, '/t'), 'first\nsecond\n')
  await fs.mkdir('/d')
  await t.rejects(fs.create('/d'), { code: 'EISDIR' })
  await t.rejects(fs.create('/none/t'), { code: 'ENOENT' })
})

t.test('open of a name with no topic is ESTALE, so that the kernel looks it up again', async t => {
  const fs = filesystem()
  await t.rejects(fs.open('/none', O_RDONLY), { code: 'ESTALE' })
  await t.rejects(fs.open('/none', O_WRONLY), { code: 'ESTALE' })
  await t.rejects(fs.open('/.follow/none', O_RDONLY), { code: 'ESTALE' })
})

t.test('line framing at close: the partial line is pushed at release as a verbatim message', async t => {
  const fs = filesystem()
  const handle = await fs.create('/t')
  await fs.write('/t', handle, Buffer.from('a\nno newline'))
  t.same(await messagesOf(fs.engine, 't'), ['a\n'], 'held until the close')
  await fs.release('/t', handle)
  t.same(await messagesOf(fs.engine, 't'), ['a\n', 'no newline'], 'pushed as it was written')
  t.equal(await cat(fs, '/t'), 'a\nno newline')
})

t.test('write framing: each write is one message, verbatim', async t => {
  const fs = filesystem({ framing: 'write' })
  const handle = await fs.create('/t')
  await fs.write('/t', handle, Buffer.from('x'))
  await fs.write('/t', handle, Buffer.from('y\nz\n'))
  await fs.write('/t', handle, Buffer.from([0, 255]))
  t.same((await messagesOf(fs.engine, 't')).length, 3)
  await fs.release('/t', handle)
  t.equal((await messagesOf(fs.engine, 't')).length, 3, 'nothing held for the close')
  t.ok(Buffer.from(await readAll(fs.engine, 't')).equals(Buffer.from([...Buffer.from('xy\nz\n'), 0, 255])))
})

t.test('a handle whose topic was removed: writes and the close are ESTALE, even once recreated', async t => {
  const fs = filesystem()
  await put(fs, '/t', 'first\n')
  const handle = await fs.open('/t', O_WRONLY)
  await fs.write('/t', handle, Buffer.from('kept\n'))
  await fs.unlink('/t')
  await put(fs, '/t', 'recreated\n')
  await t.rejects(fs.write('/t', handle, Buffer.from('lost\n')), { code: 'ESTALE' })
  t.equal(await fs.write('/t', handle, Buffer.from('no newline')), 10, 'a partial line is only held')
  await t.rejects(fs.release('/t', handle), { code: 'ESTALE' })
  t.equal(await cat(fs, '/t'), 'recreated\n', 'the old handle never writes into the new topic')
})

t.test('a handle whose topic was removed with a partial line pending fails at the close', async t => {
  const fs = filesystem()
  const handle = await fs.create('/t')
  await fs.write('/t', handle, Buffer.from('pending'))
  await fs.unlink('/t')
  await t.rejects(fs.release('/t', handle), { code: 'ESTALE' })
  t.equal(await fs.engine.stat('t'), undefined, 'the topic does not come back')
})

t.test('a reset is not a removal: a handle writes on after truncate', async t => {
  const fs = filesystem()
  await put(fs, '/t', 'old\n')
  const handle = await fs.open('/t', O_WRONLY)
  await fs.truncate('/t', 0)
  await fs.write('/t', handle, Buffer.from('new\n'))
  await fs.release('/t', handle)
  t.equal(await cat(fs, '/t'), 'new\n')
})

t.test('O_TRUNC is ignored by default, and resets with otrunc "reset"', async t => {
  const engine = new MemoryEngine()
  const plain = filesystem({}, engine)
  const resetting = filesystem({ otrunc: 'reset' }, engine)
  await put(plain, '/o', 'a\n')
  await plain.release('/o', await plain.open('/o', O_WRONLY | O_TRUNC))
  t.equal(await cat(plain, '/o'), 'a\n', 'ignored')
  await resetting.release('/o', await resetting.open('/o', O_RDONLY | O_TRUNC))
  t.equal(await cat(plain, '/o'), 'a\n', 'a reader does not reset')
  const handle = await resetting.open('/o', O_WRONLY | O_TRUNC)
  t.equal(await cat(plain, '/o'), '', 'reset at the open')
  await resetting.write('/o', handle, Buffer.from('c\n'))
  await resetting.release('/o', handle)
  t.equal(await cat(plain, '/o'), 'c\n')
})

t.test('rename moves a topic; its open handles go on under the new name', async t => {
  const fs = filesystem()
  await fs.mkdir('/d')
  await put(fs, '/a', 'one\n')
  const handle = await fs.open('/a', O_WRONLY)
  await fs.rename('/a', '/d/b')
  await t.rejects(fs.getattr('/a'), { code: 'ENOENT' })
  await fs.write('/d/b', handle, Buffer.from('two\n'))
  await fs.release('/d/b', handle)
  t.equal(await cat(fs, '/d/b'), 'one\ntwo\n')
  await put(fs, '/c', 'replaced\n')
  await fs.rename('/d/b', '/c')
  t.equal(await cat(fs, '/c'), 'one\ntwo\n', 'replacing the topic at the target')
  await fs.mkdir('/e')
  await t.rejects(fs.rename('/e', '/f'), { code: 'EXDEV' }, 'directories are copied by mv')
  await t.rejects(fs.rename('/none', '/x'), { code: 'ENOENT' })
})

t.test('rename onto a .fuse_hidden name removes the topic: its open handles see ESTALE', async t => {
  const fs = filesystem()
  await put(fs, '/t', 'x\n')
  const handle = await fs.open('/t', O_WRONLY)
  await fs.rename('/t', '/.fuse_hidden0000000a00000001')
  t.equal(await fs.engine.stat('t'), undefined)
  t.equal(await fs.engine.stat('.fuse_hidden0000000a00000001'), undefined, 'no topic under the hidden name')
  await t.rejects(fs.write('/.fuse_hidden0000000a00000001', handle, Buffer.from('y\n')), { code: 'ESTALE' })
  await fs.release('/.fuse_hidden0000000a00000001', handle)
  await fs.unlink('/.fuse_hidden0000000a00000001')
})

t.test('.follow replays the topic, then blocks until the next message', async t => {
  const fs = filesystem()
  await put(fs, '/t', 'old 1\nold 2\n')
  const handle = await fs.open('/.follow/t', O_RDONLY)
  t.ok(fs.isFollowing(handle))
  t.equal((await fs.read('/.follow/t', handle, 4096, 0)).toString(), 'old 1\nold 2\n')
  let answered = false
  const next = fs.read('/.follow/t', handle, 4096, 12).then(chunk => { answered = true; return chunk })
  await new Promise(resolve => setImmediate(resolve))
  t.notOk(answered, 'blocks at the end')
  t.equal(fs.followers.blocked, 1)
  await put(fs, '/t', 'new\n')
  t.equal((await next).toString(), 'new\n')
  await fs.release('/.follow/t', handle)
})

t.test('.live delivers only the messages pushed after the open', async t => {
  const fs = filesystem()
  await put(fs, '/t', 'before\n')
  const handle = await fs.open('/.live/t', O_RDONLY)
  const next = fs.read('/.live/t', handle, 4096, 0)
  await put(fs, '/t', 'after\n')
  t.equal((await next).toString(), 'after\n')
  await t.rejects(fs.write('/.live/t', handle, Buffer.from('x')), { code: 'EBADF' })
  await fs.flush('/.live/t', handle)
  await fs.release('/.live/t', handle)
  t.notOk(fs.isFollowing(handle))
})

t.test('a follower ends at the removal of its topic', async t => {
  const fs = filesystem()
  await put(fs, '/t', 'x\n')
  const handle = await fs.open('/.live/t', O_RDONLY)
  const next = fs.read('/.live/t', handle, 4096, 0)
  await fs.unlink('/t')
  t.equal((await next).length, 0)
})

t.test('releaseFollowers gives blocked followers end of file at once, then returns when they closed', async t => {
  const spy = spyEngine()
  const fs = filesystem({}, spy.engine)
  await put(fs, '/t', 'x\n')
  const handles = [await fs.open('/.live/t', O_RDONLY), await fs.open('/.follow/t', O_RDONLY)]
  t.equal((await fs.read('/.follow/t', handles[1]!, 4096, 0)).toString(), 'x\n')
  const blocked = [fs.read('/.live/t', handles[0]!, 4096, 0), fs.read('/.follow/t', handles[1]!, 4096, 2)]
  t.equal(fs.followers.blocked, 2)
  let returned = false
  const released = fs.releaseFollowers(60_000).then(() => { returned = true })
  t.same((await Promise.all(blocked)).map(chunk => chunk.length), [0, 0], 'end of file for both')
  t.ok(spy.calls.includes('close'), 'the engine was closed')
  t.notOk(returned, 'waits for the followers to close their files')
  await fs.release('/.live/t', handles[0]!)
  await fs.release('/.follow/t', handles[1]!)
  await released
  t.equal((await fs.read('/.live/t', await fs.open('/.live/t', O_RDONLY), 4096, 0)).length, 0, 'no read blocks any more')
})

t.test('a .follow/ handle follows its topic through a rename on this mount', async t => {
  const fs = filesystem()
  await put(fs, '/a', 'one\n')
  const handle = await fs.open('/.follow/a', O_RDONLY)
  t.equal((await fs.read('/.follow/a', handle, 4096, 0)).toString(), 'one\n')
  const next = fs.read('/.follow/a', handle, 4096, 4)
  await fs.rename('/a', '/b')
  await put(fs, '/b', 'two\n')
  t.equal((await next).toString(), 'two\n', 'the kernel still names it by the path it was opened by')
  await put(fs, '/b', 'three\n')
  t.equal((await fs.read('/.follow/a', handle, 4096, 8)).toString(), 'three\n')
})

t.test('a .follow/ handle follows its topic through a rename by another mount', async t => {
  const engine = new MemoryEngine()
  const here = filesystem({}, engine)
  const there = filesystem({}, engine)
  await put(here, '/a', 'one\n')
  const handle = await here.open('/.follow/a', O_RDONLY)
  t.equal((await here.read('/.follow/a', handle, 4096, 0)).toString(), 'one\n')
  const next = here.read('/.follow/a', handle, 4096, 4)
  await there.rename('/a', '/b')
  await put(there, '/b', 'two\n')
  t.equal((await next).toString(), 'two\n')
})
