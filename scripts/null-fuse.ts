import type { Operations } from '../src/fuse/operations'
import type { Stat } from '../src/fuse/types'
import { Errno } from '../src/mount/errno'
import path from 'node:path'
import { mountFuse } from '../src/fuse/mount'
import { fuseMountOptions, LAYER_OPTIONS, prepareMountpoint } from '../src/mount/lifecycle'
import { HELD_KEEP_SECONDS } from '../src/mount/shown-attributes'

/**
 * `node dist/scripts/null-fuse.js DIR [--allow-other]`: a filesystem kept in this process's memory, mounted
 * through the same FUSE layer with the same options as dnpipes, answering every request at once:
 * what the layer and the kernel cost before any Redis round trip (W3, S2, S3, W4; the C
 * filesystem of scripts/bench/c-floor/ is the floor below it). Prints "mounted" when ready; SIGTERM unmounts.
 */

interface Node { directory: boolean, size: number, mtime: Date }

const nodes = new Map<string, Node>([['/', { directory: true, size: 4096, mtime: new Date() }]])
const uid = process.getuid?.() ?? 0
const gid = process.getgid?.() ?? 0

function attr (node: Node): Stat {
  return {
    mode: node.directory ? 0o40755 : 0o100644,
    uid,
    gid,
    size: node.size,
    nlink: node.directory ? 2 : 1,
    blocks: Math.ceil(node.size / 512),
    blksize: 4096,
    mtime: node.mtime,
    atime: node.mtime,
    ctime: node.mtime,
    // As dnpipes lets the kernel keep the attributes it holds; nothing here changes them but the kernel's own requests.
    keepSeconds: HELD_KEEP_SECONDS
  }
}

/** What every read answers: files hold zeros. */
const ZEROS = Buffer.alloc(1 << 20)

const parentOf = (path: string): string => path.slice(0, path.lastIndexOf('/')) || '/'

function add (path: string, directory: boolean): number {
  if (nodes.has(path)) return Errno.EEXIST
  if (!nodes.get(parentOf(path))?.directory) return Errno.ENOENT
  nodes.set(path, { directory, size: directory ? 4096 : 0, mtime: new Date() })
  return 0
}

const operations: Operations = {
  getattr: (path, cb) => {
    const node = nodes.get(path)
    return node ? cb(0, attr(node)) : cb(Errno.ENOENT)
  },
  access: (path, _mode, cb) => cb(nodes.has(path) ? 0 : Errno.ENOENT),
  readdir: (path, cb) => {
    const prefix = path === '/' ? '/' : path + '/'
    const names = [...nodes.keys()].filter(p => p !== '/' && parentOf(p) === path).map(p => p.slice(prefix.length))
    cb(0, ['.', '..', ...names])
  },
  // Every name's attributes at hand, as dnpipes has those it holds: listings carry them (READDIRPLUS).
  heldAttributes: path => { const node = nodes.get(path); return node && attr(node) },
  create: (path, _mode, cb) => cb(add(path, false), 1),
  mkdir: (path, _mode, cb) => cb(add(path, true)),
  open: (path, _flags, cb) => nodes.has(path) ? cb(0, 1) : cb(Errno.ENOENT),
  read: (path, _fd, length, position, cb) => cb(0, ZEROS.subarray(0, Math.max(0, Math.min(length, (nodes.get(path)?.size ?? 0) - position)))),
  write: (path, _fd, _buffer, length, _position, cb) => {
    const node = nodes.get(path)
    if (!node) return cb(Errno.ENOENT)
    node.size += length
    node.mtime = new Date()
    cb(length)
  },
  truncate: (path, size, cb) => {
    const node = nodes.get(path)
    if (node) node.size = size
    cb(node ? 0 : Errno.ENOENT)
  },
  flush: (_path, _fd, cb) => cb(0),
  release: (_path, _fd, cb) => cb(0),
  utimens: (path, _atime, _mtime, cb) => cb(nodes.has(path) ? 0 : Errno.ENOENT),
  getxattr: (_path, _name, _position, cb) => cb(Errno.ENODATA),
  unlink: (path, cb) => cb(nodes.delete(path) ? 0 : Errno.ENOENT)
}

async function main (): Promise<void> {
  const dir = process.argv[2]
  if (!dir) throw new Error('usage: null-fuse.js DIR [--allow-other]')
  const allowOther = process.argv.includes('--allow-other')
  const mountpoint = path.resolve(dir)
  await prepareMountpoint(mountpoint)
  const mountOptions = [`fsname=dnpipes:${process.pid}`, 'subtype=dnpipes', ...fuseMountOptions({ allowOther, readOnly: false })]
  const mounted = await mountFuse(mountpoint, operations, { ...LAYER_OPTIONS, mountOptions })
  console.log('mounted')
  const stop = (): void => { mounted.unmount().then(() => process.exit(0), () => process.exit(1)) }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

main().catch(err => {
  console.error(err)
  process.exit(1)
})
