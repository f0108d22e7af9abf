import t from 'tap'
import { Errno } from '../../../src/fuse/errno'
import { NodeTable, ROOT_NODE } from '../../../src/fuse/inodes'
import type { Operations } from '../../../src/fuse/operations'
import { PathLayer, PathLayerOptions } from '../../../src/fuse/path-layer'
import { InitFlag, Notify, OpenFlag, RELEASE_FLUSH, SetattrValid, Size } from '../../../src/fuse/protocol'
import type { Arguments, Request } from '../../../src/fuse/request'
import type { Stat } from '../../../src/fuse/types'

// PathLayer on its own: requests made by hand, operations that record their calls, replies decoded.

const FILE = 0o100644
const DIR = 0o040755
const options: PathLayerOptions = { cache: { entrySeconds: 1, attrSeconds: 2 }, directIo: false, ownXattrs: '', readdirPlus: false }

type Answer = { error: number } | { body: Buffer }

const statOf = (mode: number, size = 0, extra: Partial<Stat> = {}): Stat => ({ mode, uid: 0, gid: 0, size, mtime: 0, atime: 0, ctime: 0, ...extra })

/** Sends `args` for node `nodeid` and resolves with the reply (the operations may answer later). */
function send (layer: PathLayer, nodeid: number, args: Arguments): Promise<Answer> {
  return new Promise(resolve => {
    const request: Request = { opcode: 0, unique: 1n, nodeid, uid: 0, gid: 0, pid: 1, args }
    layer.handle(request, {
      ok: (...body) => resolve({ body: Buffer.concat(body) }),
      error: code => resolve({ error: code })
    })
  })
}

function errorOf (answer: Answer): number | undefined {
  return 'error' in answer ? answer.error : undefined
}

function bodyOf (answer: Answer): Buffer {
  if (!('body' in answer)) throw new Error(`answered errno ${answer.error}`)
  return answer.body
}

/** An entry reply (fuse_entry_out): its node id, attribute validity in seconds, and mode. */
function entry (answer: Answer): { nodeid: number, attrValid: number, mode: number, size: number } {
  const body = bodyOf(answer)
  return { nodeid: Number(body.readBigUInt64LE(0)), attrValid: Number(body.readBigUInt64LE(24)), mode: body.readUInt32LE(40 + 60), size: Number(body.readBigUInt64LE(40 + 8)) }
}

/** A filesystem of the paths in `files`, recording each call as "op path". */
function recorded (files: Record<string, Stat>, extra: Operations = {}): { ops: Operations, calls: string[] } {
  const calls: string[] = []
  const ops: Operations = {
    getattr: (path, cb) => {
      calls.push(`getattr ${path}`)
      const stat = files[path]
      stat ? cb(0, stat) : cb(Errno.ENOENT)
    },
    ...extra
  }
  return { ops, calls }
}

const lookup = (name: string | undefined): Arguments => ({ kind: 'lookup', name })

/** FORGET, which has no reply: the kernel gives back `nlookup` references to `nodeid`. */
function forget (layer: PathLayer, nodeid: number, nlookup: number): void {
  const unanswerable = (): never => { throw new Error('FORGET was answered') }
  layer.handle({ opcode: 0, unique: 1n, nodeid: 0, uid: 0, gid: 0, pid: 1, args: { kind: 'forget', forgets: [{ nodeid, nlookup }] } }, { ok: unanswerable, error: unanswerable })
}

t.test('a request for a node the layer does not hold is ENOENT, without an operation', async t => {
  const { ops, calls } = recorded({ '/a': statOf(FILE) })
  const layer = new PathLayer(ops, options)
  t.equal(errorOf(await send(layer, 42, { kind: 'getattr', fh: undefined })), Errno.ENOENT)
  t.equal(errorOf(await send(layer, 42, lookup('a'))), Errno.ENOENT)
  t.same(calls, [])
})

t.test('names: not UTF-8 is EILSEQ, longer than 255 bytes ENAMETOOLONG, 255 bytes goes through', async t => {
  const long = 'é'.repeat(127) + 'x' // 255 bytes, 128 characters
  const { ops, calls } = recorded({ [`/${long}`]: statOf(FILE) })
  const layer = new PathLayer(ops, options)
  t.equal(errorOf(await send(layer, ROOT_NODE, lookup(undefined))), Errno.EILSEQ)
  t.equal(errorOf(await send(layer, ROOT_NODE, lookup(long + 'x'))), Errno.ENAMETOOLONG, '256 bytes')
  t.equal(errorOf(await send(layer, ROOT_NODE, { kind: 'mkdir', name: 'é'.repeat(128), mode: 0o755, umask: 0 })), Errno.ENAMETOOLONG, 'bytes are counted, not characters')
  t.same(calls, [], 'no operation for a refused name')
  t.ok(entry(await send(layer, ROOT_NODE, lookup(long))).nodeid > ROOT_NODE)
})

t.test('lookup: the operation\'s lookup, else its getattr, else ENOSYS; the same path is the same node', async t => {
  const looked: string[] = []
  const files = { '/a': statOf(FILE, 5), '/d': statOf(DIR), '/d/x': statOf(FILE, 7) }
  const withLookup = new PathLayer(recorded(files, { lookup: (path, cb) => { looked.push(path); cb(0, files[path as keyof typeof files]) } }).ops, options)
  const first = entry(await send(withLookup, ROOT_NODE, lookup('a')))
  t.same(looked, ['/a'], 'lookup is asked, not getattr')
  t.equal(first.size, 5)
  t.equal(entry(await send(withLookup, ROOT_NODE, lookup('a'))).nodeid, first.nodeid, 'looked up twice: one node')
  const dir = entry(await send(withLookup, ROOT_NODE, lookup('d')))
  t.equal(dir.mode, DIR)
  const inside = entry(await send(withLookup, dir.nodeid, lookup('x')))
  t.equal(withLookup.nodes.pathOf(inside.nodeid), '/d/x', 'a name is looked up in its parent\'s path')
  t.equal(first.attrValid, 2, 'attributes valid for the mount\'s attrSeconds')

  const { ops, calls } = recorded(files)
  const viaGetattr = new PathLayer(ops, options)
  t.equal(entry(await send(viaGetattr, ROOT_NODE, lookup('a'))).size, 5)
  t.same(calls, ['getattr /a'])
  t.equal(errorOf(await send(viaGetattr, ROOT_NODE, lookup('none'))), Errno.ENOENT, 'the operation\'s errno')
  t.equal(viaGetattr.nodes.idOf('/none'), undefined, 'a failed lookup makes no node')

  t.equal(errorOf(await send(new PathLayer({}, options), ROOT_NODE, lookup('a'))), Errno.ENOSYS)
  const silent = new PathLayer({ getattr: (_path, cb) => cb(0) }, options)
  t.equal(errorOf(await send(silent, ROOT_NODE, lookup('a'))), Errno.EIO, 'success without attributes is EIO')
})

t.test('getattr: fgetattr for an open file when there is one; attributes valid for keepSeconds when given', async t => {
  const asked: string[] = []
  const { ops, calls } = recorded({ '/a': statOf(FILE, 3, { keepSeconds: 9 }) }, {
    fgetattr: (path, fd, cb) => { asked.push(`${path} ${fd}`); cb(0, statOf(FILE, 4)) }
  })
  const layer = new PathLayer(ops, options)
  const id = entry(await send(layer, ROOT_NODE, lookup('a'))).nodeid
  calls.length = 0
  const plain = bodyOf(await send(layer, id, { kind: 'getattr', fh: undefined }))
  t.equal(plain.length, Size.ATTR_OUT)
  t.equal(plain.readBigUInt64LE(0), 9n, 'the stat\'s keepSeconds')
  t.equal(plain.readBigUInt64LE(16 + 8), 3n)
  t.same(calls, ['getattr /a'])
  const fstat = bodyOf(await send(layer, id, { kind: 'getattr', fh: 12 }))
  t.same(asked, ['/a 12'])
  t.equal(fstat.readBigUInt64LE(0), 2n, 'the mount\'s attrSeconds without keepSeconds')
  t.equal(fstat.readBigUInt64LE(16 + 8), 4n)
  const noFstat = new PathLayer(recorded({ '/': statOf(DIR) }).ops, options)
  t.equal(bodyOf(await send(noFstat, ROOT_NODE, { kind: 'getattr', fh: 12 })).readUInt32LE(16 + 60), DIR, 'getattr serves an fstat without fgetattr')
})

t.test('what makes a name answers an entry from a getattr of it; without the operation, EPERM', async t => {
  const files: Record<string, Stat> = { '/a': statOf(FILE) }
  const made: string[] = []
  const make = (path: string, mode: number): number => { made.push(path); files[path] = statOf(mode); return 0 }
  const { ops } = recorded(files, {
    mkdir: (path, mode, cb) => cb(make(path, 0o040000 | mode)),
    mknod: (path, mode, _rdev, cb) => cb(make(path, mode)),
    symlink: (_target, path, cb) => cb(make(path, 0o120777)),
    link: (_source, path, cb) => cb(make(path, FILE)),
    create: (path, mode, cb) => cb(make(path, mode), 77)
  })
  const layer = new PathLayer(ops, { ...options, directIo: true })
  const dir = entry(await send(layer, ROOT_NODE, { kind: 'mkdir', name: 'd', mode: 0o700, umask: 0 }))
  t.equal(dir.mode, 0o040700)
  t.equal(layer.nodes.idOf('/d'), dir.nodeid, 'the new node is counted')
  t.equal(entry(await send(layer, dir.nodeid, { kind: 'mknod', name: 'n', mode: FILE, rdev: 0, umask: 0 })).mode, FILE)
  t.equal(entry(await send(layer, ROOT_NODE, { kind: 'symlink', name: 's', target: 'a' })).mode, 0o120777)
  const a = entry(await send(layer, ROOT_NODE, lookup('a'))).nodeid
  t.ok(entry(await send(layer, dir.nodeid, { kind: 'link', oldNodeid: a, name: 'hard' })).nodeid > a)
  t.same(made, ['/d', '/d/n', '/s', '/d/hard'])

  const created = bodyOf(await send(layer, ROOT_NODE, { kind: 'create', name: 'c', flags: 0, mode: FILE, umask: 0 }))
  t.equal(created.length, Size.ENTRY_OUT + Size.OPEN_OUT, 'an entry and an open file')
  t.equal(created.readBigUInt64LE(Size.ENTRY_OUT), 77n, 'the handle the operation gave')
  t.equal(created.readUInt32LE(Size.ENTRY_OUT + 8), OpenFlag.DIRECT_IO, 'direct I/O on a directIo mount')

  t.equal(errorOf(await send(layer, ROOT_NODE, { kind: 'symlink', name: 't', target: undefined })), Errno.EILSEQ, 'a target that is not UTF-8')
  t.equal(errorOf(await send(layer, ROOT_NODE, { kind: 'link', oldNodeid: 999, name: 'l' })), Errno.ENOENT, 'a link to a node not held')
  const failing = new PathLayer(recorded(files, { mkdir: (_path, _mode, cb) => cb(Errno.EEXIST) }).ops, options)
  t.equal(errorOf(await send(failing, ROOT_NODE, { kind: 'mkdir', name: 'a', mode: 0o755, umask: 0 })), Errno.EEXIST)
  const bare = new PathLayer(recorded(files).ops, options)
  for (const args of [
    { kind: 'mkdir', name: 'x', mode: 0o755, umask: 0 },
    { kind: 'mknod', name: 'x', mode: FILE, rdev: 0, umask: 0 },
    { kind: 'symlink', name: 'x', target: 'a' },
    { kind: 'link', oldNodeid: ROOT_NODE, name: 'x' },
    { kind: 'create', name: 'x', flags: 0, mode: FILE, umask: 0 },
    { kind: 'unlink', name: 'a' },
    { kind: 'rmdir', name: 'a' },
    { kind: 'rename', newParent: ROOT_NODE, name: 'a', newName: 'b', flags: 0 }
  ] as Arguments[]) {
    t.equal(errorOf(await send(bare, ROOT_NODE, args)), Errno.EPERM, `${args.kind} without its operation`)
  }
  t.equal(bare.nodes.idOf('/x'), undefined)
})

t.test('unlink and rmdir: the name no longer reaches its node, which keeps its path for open files; a failure changes nothing', async t => {
  const removed: string[] = []
  const { ops } = recorded({ '/a': statOf(FILE), '/d': statOf(DIR) }, {
    unlink: (path, cb) => { removed.push(path); cb(0) },
    rmdir: (_path, cb) => cb(Errno.ENOTEMPTY)
  })
  const layer = new PathLayer(ops, options)
  const a = entry(await send(layer, ROOT_NODE, lookup('a'))).nodeid
  const d = entry(await send(layer, ROOT_NODE, lookup('d'))).nodeid
  t.same(await send(layer, ROOT_NODE, { kind: 'unlink', name: 'a' }), { body: Buffer.alloc(0) })
  t.same(removed, ['/a'])
  t.equal(layer.nodes.idOf('/a'), undefined)
  t.equal(layer.nodes.pathOf(a), '/a')
  t.equal(errorOf(await send(layer, ROOT_NODE, { kind: 'rmdir', name: 'd' })), Errno.ENOTEMPTY)
  t.equal(layer.nodes.idOf('/d'), d, 'still named')
})

t.test('rename: the node moves with everything under it; flags are ENOSYS, a parent not held ENOENT, a failure changes nothing', async t => {
  let answer = 0
  const renamed: string[] = []
  const { ops } = recorded({ '/d': statOf(DIR), '/d/x': statOf(FILE), '/e': statOf(DIR) }, {
    rename: (from, to, cb) => { renamed.push(`${from} -> ${to}`); cb(answer) }
  })
  const layer = new PathLayer(ops, options)
  const d = entry(await send(layer, ROOT_NODE, lookup('d'))).nodeid
  const x = entry(await send(layer, d, lookup('x'))).nodeid
  const e = entry(await send(layer, ROOT_NODE, lookup('e'))).nodeid
  t.equal(errorOf(await send(layer, ROOT_NODE, { kind: 'rename', newParent: e, name: 'd', newName: 'f', flags: 1 })), Errno.ENOSYS, 'RENAME_NOREPLACE and the like')
  t.equal(errorOf(await send(layer, ROOT_NODE, { kind: 'rename', newParent: 999, name: 'd', newName: 'f', flags: 0 })), Errno.ENOENT)
  t.equal(errorOf(await send(layer, ROOT_NODE, { kind: 'rename', newParent: e, name: 'd', newName: undefined, flags: 0 })), Errno.EILSEQ)
  t.equal(errorOf(await send(layer, ROOT_NODE, { kind: 'rename', newParent: e, name: 'd', newName: 'n'.repeat(256), flags: 0 })), Errno.ENAMETOOLONG)
  t.same(renamed, [], 'none of those reached the filesystem')
  answer = Errno.EXDEV
  t.equal(errorOf(await send(layer, ROOT_NODE, { kind: 'rename', newParent: e, name: 'd', newName: 'f', flags: 0 })), Errno.EXDEV)
  t.equal(layer.nodes.pathOf(x), '/d/x', 'a failed rename moves nothing')
  answer = 0
  t.same(await send(layer, ROOT_NODE, { kind: 'rename', newParent: e, name: 'd', newName: 'f', flags: 0 }), { body: Buffer.alloc(0) })
  t.same(renamed.at(-1), '/d -> /e/f')
  t.equal(layer.nodes.pathOf(d), '/e/f')
  t.equal(layer.nodes.pathOf(x), '/e/f/x')
})

t.test('open: the operation\'s handle, or handle 0 without one; direct I/O only on a directIo mount', async t => {
  const layer = new PathLayer({ open: (_path, flags, cb) => flags === 1 ? cb(0, 5) : cb(Errno.EACCES) }, options)
  const opened = bodyOf(await send(layer, ROOT_NODE, { kind: 'open', flags: 1 }))
  t.same([opened.readBigUInt64LE(0), opened.readUInt32LE(8)], [5n, 0])
  t.equal(errorOf(await send(layer, ROOT_NODE, { kind: 'open', flags: 2 })), Errno.EACCES)
  const none = bodyOf(await send(new PathLayer({}, { ...options, directIo: true }), ROOT_NODE, { kind: 'open', flags: 0 }))
  t.same([none.readBigUInt64LE(0), none.readUInt32LE(8)], [0n, OpenFlag.DIRECT_IO])
})

t.test('read: never more than asked for, empty without data, the errno of a failure; write answers the count written', async t => {
  let data: Buffer | undefined = Buffer.from('0123456789')
  let readCode = 0
  const writes: string[] = []
  const layer = new PathLayer({
    read: (_path, _fd, _length, _position, cb) => cb(readCode, data),
    write: (path, fd, buffer, length, position, cb) => { writes.push(`${path} ${fd} ${buffer.toString()} ${length}@${position}`); cb(length > 3 ? Errno.ENOSPC : length) }
  }, options)
  const read = (size: number): Promise<Answer> => send(layer, ROOT_NODE, { kind: 'read', fh: 1, offset: 0, size, flags: 0 })
  t.equal(bodyOf(await read(4)).toString(), '0123', 'cut to the size asked')
  t.equal(bodyOf(await read(100)).toString(), '0123456789')
  data = undefined
  t.equal(bodyOf(await read(100)).length, 0)
  readCode = Errno.EINTR
  t.equal(errorOf(await read(100)), Errno.EINTR)
  const written = bodyOf(await send(layer, ROOT_NODE, { kind: 'write', fh: 3, offset: 8, data: Buffer.from('abc'), flags: 0 }))
  t.same([written.length, written.readUInt32LE(0)], [Size.WRITE_OUT, 3])
  t.same(writes, ['/ 3 abc 3@8'])
  t.equal(errorOf(await send(layer, ROOT_NODE, { kind: 'write', fh: 3, offset: 0, data: Buffer.from('abcd'), flags: 0 })), Errno.ENOSPC)
  const bare = new PathLayer({}, options)
  t.equal(errorOf(await send(bare, ROOT_NODE, { kind: 'read', fh: 1, offset: 0, size: 1, flags: 0 })), Errno.ENOSYS)
  t.equal(errorOf(await send(bare, ROOT_NODE, { kind: 'write', fh: 1, offset: 0, data: Buffer.from('x'), flags: 0 })), Errno.ENOSYS)
})

t.test('release flushes first when the kernel says so; flush, fsync and release without operations succeed', async t => {
  const calls: string[] = []
  const layer = new PathLayer({
    flush: (_path, fd, cb) => { calls.push(`flush ${fd}`); cb(Errno.EIO) },
    release: (_path, fd, cb) => { calls.push(`release ${fd}`); cb(0) }
  }, options)
  t.same(await send(layer, ROOT_NODE, { kind: 'release', fh: 4, flags: 0, releaseFlags: RELEASE_FLUSH }), { body: Buffer.alloc(0) }, 'the release\'s own answer')
  t.same(calls, ['flush 4', 'release 4'])
  calls.length = 0
  await send(layer, ROOT_NODE, { kind: 'release', fh: 5, flags: 0, releaseFlags: 0 })
  t.same(calls, ['release 5'], 'no flush unless asked')
  const bare = new PathLayer({}, options)
  for (const args of [
    { kind: 'flush', fh: 1 },
    { kind: 'fsync', fh: 1, datasync: false },
    { kind: 'fsyncdir', fh: 1, datasync: true },
    { kind: 'release', fh: 1, flags: 0, releaseFlags: RELEASE_FLUSH },
    { kind: 'access', mask: 7 },
    { kind: 'destroy' }
  ] as Arguments[]) {
    t.same(await send(bare, ROOT_NODE, args), { body: Buffer.alloc(0) }, args.kind)
  }
  t.equal(errorOf(await send(bare, ROOT_NODE, { kind: 'statfs' })), Errno.ENOSYS)
  t.equal(errorOf(await send(bare, ROOT_NODE, { kind: 'readlink' })), Errno.EINVAL, 'readlink of what is no symlink')
  t.equal(errorOf(await send(bare, ROOT_NODE, { kind: 'unknown' })), Errno.ENOSYS)
  t.equal(errorOf(await send(new PathLayer({ access: (_path, _mask, cb) => cb(Errno.EACCES) }, options), ROOT_NODE, { kind: 'access', mask: 2 })), Errno.EACCES)
})

t.test('statfs and readlink answer what the operation gives', async t => {
  const layer = new PathLayer({
    statfs: (_path, cb) => cb(0, { bsize: 4096, frsize: 4096, blocks: 10, bfree: 5, bavail: 4, files: 3, ffree: 2, namemax: 255 }),
    readlink: (path, cb) => path === '/' ? cb(0, 'target') : cb(0)
  }, options)
  const space = bodyOf(await send(layer, ROOT_NODE, { kind: 'statfs' }))
  t.same([space.length, space.readBigUInt64LE(0)], [Size.STATFS_OUT, 10n])
  t.equal(bodyOf(await send(layer, ROOT_NODE, { kind: 'readlink' })).toString(), 'target')
  const x = new PathLayer({ ...recorded({ '/x': statOf(0o120777) }).ops, readlink: (_path, cb) => cb(0) }, options)
  const id = entry(await send(x, ROOT_NODE, lookup('x'))).nodeid
  t.equal(errorOf(await send(x, id, { kind: 'readlink' })), Errno.EIO, 'success without a target is EIO')
})

t.test('setattr runs the changes, then answers the new attributes; the first failure is the answer', async t => {
  const files = { '/a': statOf(FILE, 10) }
  const changes: string[] = []
  const { ops } = recorded(files, {
    chmod: (path, mode, cb) => { changes.push(`chmod ${mode.toString(8)}`); files[path as '/a'] = { ...files['/a'], mode: 0o100000 | mode }; cb(0) },
    truncate: (_path, size, cb) => { changes.push(`truncate ${size}`); cb(size === 0 ? 0 : Errno.EINVAL) }
  })
  const layer = new PathLayer(ops, options)
  const a = entry(await send(layer, ROOT_NODE, lookup('a'))).nodeid
  const setattr = (valid: number, mode: number, size: number): Promise<Answer> => send(layer, a, { kind: 'setattr', valid, fh: 0, size, atimeMs: 0, mtimeMs: 0, mode, uid: 0, gid: 0 })
  const answer = bodyOf(await setattr(SetattrValid.MODE | SetattrValid.SIZE, 0o600, 0))
  t.same(changes, ['chmod 600', 'truncate 0'])
  t.equal(answer.readUInt32LE(16 + 60), 0o100600, 'the attributes after the change')
  t.equal(errorOf(await setattr(SetattrValid.SIZE, 0, 5)), Errno.EINVAL)
  t.equal(errorOf(await setattr(SetattrValid.UID, 0, 0)), Errno.EPERM, 'chown without the operation')
  const blind = new PathLayer({ chmod: (_path, _mode, cb) => cb(0) }, options)
  t.equal(errorOf(await send(blind, ROOT_NODE, { kind: 'setattr', valid: SetattrValid.MODE, fh: 0, size: 0, atimeMs: 0, mtimeMs: 0, mode: 0o700, uid: 0, gid: 0 })), Errno.ENOSYS, 'no getattr to answer with')
})

t.test('getxattr of a name outside the filesystem\'s own prefix is ENODATA without the operation', async t => {
  const asked: string[] = []
  const layer = new PathLayer({ getxattr: (_path, name, _position, cb) => { asked.push(name); cb(0, Buffer.from('v')) } }, { ...options, ownXattrs: 'user.dnpipes.' })
  t.equal(errorOf(await send(layer, ROOT_NODE, { kind: 'getxattr', name: 'security.selinux', size: 64 })), Errno.ENODATA)
  t.equal(bodyOf(await send(layer, ROOT_NODE, { kind: 'getxattr', name: 'user.dnpipes.key', size: 64 })).toString(), 'v')
  t.same(asked, ['user.dnpipes.key'])
})

t.test('directory handles start after firstHandle; a node table taken over is the one served', async t => {
  const nodes = new NodeTable()
  nodes.adopt({ id: 40, path: '/old', linked: true })
  const { ops } = recorded({ '/old': statOf(FILE), '/old/x': statOf(FILE) })
  const layer = new PathLayer(ops, { ...options, nodes, firstHandle: 2 ** 32 })
  t.equal(layer.nodes, nodes)
  t.equal(bodyOf(await send(layer, ROOT_NODE, { kind: 'opendir', flags: 0 })).readBigUInt64LE(0), BigInt(2 ** 32 + 1))
  t.equal(bodyOf(await send(layer, ROOT_NODE, { kind: 'opendir', flags: 0 })).readBigUInt64LE(0), BigInt(2 ** 32 + 2))
  t.equal(layer.nodes.pathOf(entry(await send(layer, 40, lookup('x'))).nodeid), '/old/x', 'a node of the server before is served')
  t.equal(entry(await send(layer, ROOT_NODE, lookup('old'))).nodeid, 40)
})

t.test('INIT flags: READDIRPLUS only when the filesystem lists attributes', async t => {
  const base = InitFlag.ASYNC_READ | InitFlag.ATOMIC_O_TRUNC | InitFlag.PARALLEL_DIROPS
  t.equal(new PathLayer({}, options).initFlags(), base)
  t.equal(new PathLayer({}, { ...options, readdirPlus: true }).initFlags(), base | InitFlag.DO_READDIRPLUS)
})

t.test('forget: a node goes when the kernel gives back every reference, lookups the reader answered included', async t => {
  const held: string[] = []
  let answeredByReader = 0
  const { ops } = recorded({ '/k': statOf(FILE, 1, { keepSeconds: 1 }), '/p': statOf(FILE) })
  const layer = new PathLayer(ops, options)
  layer.heldLookups.holder = {
    hold: (parent, name, reply) => { held.push(`${parent}/${name.toString()} ${reply.length}`); return 0 },
    drop: () => answeredByReader
  }
  const p = entry(await send(layer, ROOT_NODE, lookup('p'))).nodeid
  await send(layer, ROOT_NODE, lookup('p'))
  t.same(held, [], 'attributes not kept: no lookup is held')
  forget(layer, p, 1)
  t.equal(layer.nodes.pathOf(p), '/p', 'one reference left')
  forget(layer, p, 1)
  t.equal(layer.nodes.pathOf(p), undefined)

  const k = entry(await send(layer, ROOT_NODE, lookup('k'))).nodeid
  t.same(held, [`${ROOT_NODE}/k ${Size.ENTRY_OUT}`], 'kept attributes: the reader answers the next lookups')
  t.ok(layer.heldLookups.holds(k))
  answeredByReader = 2
  // One lookup here and two by the reader: giving back two leaves one.
  forget(layer, k, 2)
  t.notOk(layer.heldLookups.holds(k), 'dropped from the reader first')
  t.equal(layer.nodes.pathOf(k), '/k', 'the reader\'s lookups were counted before the forget')
  forget(layer, k, 1)
  t.equal(layer.nodes.pathOf(k), undefined)
})

t.test('attributesChanged drops held lookups and tells the kernel of kept nodes only', async t => {
  const files = { '/k': statOf(FILE, 1, { keepSeconds: 60 }), '/j': statOf(FILE, 1, { keepSeconds: 60 }), '/p': statOf(FILE) }
  const { ops } = recorded(files)
  // Attributes without keepSeconds are kept no time at all: only the others need a word.
  const layer = new PathLayer(ops, { ...options, cache: { entrySeconds: 1, attrSeconds: 0 } })
  const dropped: string[] = []
  layer.heldLookups.holder = { hold: () => 0, drop: (parent, name) => { dropped.push(`${parent}/${name.toString()}`); return 0 } }
  const notified: Array<{ code: number, nodeid: bigint }> = []
  layer.notices.notify = chunks => {
    notified.push({ code: chunks[0]!.readInt32LE(4), nodeid: chunks[1]!.readBigUInt64LE(0) })
    return 0
  }
  const k = entry(await send(layer, ROOT_NODE, lookup('k'))).nodeid
  const j = entry(await send(layer, ROOT_NODE, lookup('j'))).nodeid
  const p = entry(await send(layer, ROOT_NODE, lookup('p'))).nodeid
  layer.attributesChanged('/p')
  layer.attributesChanged('/nothing')
  t.same(notified, [], 'a node handed out with the mount\'s own time needs no word; an unknown path none')
  layer.attributesChanged('/k')
  t.same(dropped, ['1/k'])
  t.same(notified, [{ code: Notify.INVAL_INODE, nodeid: BigInt(k) }])
  t.ok(layer.heldLookups.holds(j))
  layer.attributesChanged()
  t.notOk(layer.heldLookups.holds(j), 'every path: every held lookup dropped')
  t.same(notified.map(n => n.nodeid), [BigInt(k), BigInt(j)])
  t.notOk(layer.heldLookups.holds(p), 'a name whose attributes are not kept was never held')
})

t.test('a rename over a held name, or of one, stops the reader answering for both', async t => {
  const files = { '/k': statOf(FILE, 1, { keepSeconds: 60 }), '/j': statOf(FILE, 1, { keepSeconds: 60 }) }
  const { ops } = recorded(files, { rename: (_from, _to, cb) => cb(0), unlink: (_path, cb) => cb(0) })
  const layer = new PathLayer(ops, options)
  layer.heldLookups.holder = { hold: () => 0, drop: () => 0 }
  const k = entry(await send(layer, ROOT_NODE, lookup('k'))).nodeid
  const j = entry(await send(layer, ROOT_NODE, lookup('j'))).nodeid
  await send(layer, ROOT_NODE, { kind: 'rename', newParent: ROOT_NODE, name: 'k', newName: 'j', flags: 0 })
  t.notOk(layer.heldLookups.holds(k), 'the source')
  t.notOk(layer.heldLookups.holds(j), 'the node it replaced')
  t.equal(layer.nodes.idOf('/j'), k)
  const again = entry(await send(layer, ROOT_NODE, lookup('j'))).nodeid
  t.equal(again, k)
  t.ok(layer.heldLookups.holds(k))
  await send(layer, ROOT_NODE, { kind: 'unlink', name: 'j' })
  t.notOk(layer.heldLookups.holds(k), 'an unlinked name is not answered by the reader')
})
