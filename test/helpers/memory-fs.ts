import { currentRequest } from '../../src/fuse/context'
import { Errno } from '../../src/fuse/errno'
import type { Operations } from '../../src/fuse/operations'
import { UNCHANGED_ID } from '../../src/fuse/setattr'
import type { Stat } from '../../src/fuse/types'

/**
 * A small filesystem in memory, served through the FUSE layer by the binding's tests: regular
 * files and directories with modes, owners, times and extended attributes, and three kinds of
 * files that let a test see the layer at work:
 * - `/.stats` reads as JSON: the largest write and read it was asked for, how many reads were
 *   waiting at most, and how many requests were interrupted;
 * - a read of a file under `/held/` waits until `holdCount` reads are waiting, then all go on;
 * - a read of `/blocking` waits until the kernel interrupts it, and answers EINTR;
 * - the attributes of what is under `/kept/` are handed out to keep (Stat.keepSeconds), every
 *   change of them told to `changed`, and each request for them counted in `keptAsked`.
 */
export interface MemoryFsStats {
  largestWrite: number
  largestRead: number
  mostReadsWaiting: number
  interrupted: number
  created: Array<{ path: string, uid: number, gid: number, umask: number }>
  keptAsked: number
}

const KEPT = '/kept/'
const KEEP_SECONDS = 1

interface Node {
  stat: Stat
  data: Buffer
  xattrs: Map<string, Buffer>
}

const DIR = 0o040000
const FILE = 0o100000
const O_TRUNC = 0o1000

/** The filesystem's nodes and counters, and the steps its operations share. */
interface MemoryTree {
  nodes: Map<string, Node>
  stats: MemoryFsStats
  /** The reads of /held/ waiting for each other, until `holdCount` are. */
  waiting: Array<() => void>
  holdCount: number
  parentOf: (path: string) => string
  childrenOf: (path: string) => string[]
  statOf: (path: string, node: Node) => Stat
  /** Looks `path` up for a change of its attributes, which is told once made. */
  changing: (path: string, change: (node: Node) => void) => number
  create: (path: string, mode: number) => number
  statsFile: () => Buffer
}

const now = (): number => Date.now()
const make = (mode: number, uid = 0, gid = 0): Node => ({ stat: { mode, uid, gid, size: 0, mtime: now(), atime: now(), ctime: now(), nlink: 1 }, data: Buffer.alloc(0), xattrs: new Map() })

function memoryTree (holdCount: number, changed: (path: string) => void): MemoryTree {
  const nodes = new Map<string, Node>()
  nodes.set('/', make(DIR | 0o755))
  nodes.set('/held', make(DIR | 0o755))
  nodes.set('/held/file', make(FILE | 0o644))
  nodes.set('/blocking', make(FILE | 0o644))
  nodes.set('/kept', make(DIR | 0o777))
  const stats: MemoryFsStats = { largestWrite: 0, largestRead: 0, mostReadsWaiting: 0, interrupted: 0, created: [], keptAsked: 0 }
  const parentOf = (path: string): string => path.slice(0, path.lastIndexOf('/')) || '/'
  const childrenOf = (path: string): string[] => [...nodes.keys()].filter(p => p !== '/' && parentOf(p) === path).map(p => p.slice(p.lastIndexOf('/') + 1))
  const statOf = (path: string, node: Node): Stat => {
    if (!path.startsWith(KEPT)) return { ...node.stat, size: node.data.length }
    stats.keptAsked++
    return { ...node.stat, size: node.data.length, keepSeconds: KEEP_SECONDS }
  }
  const changing = (path: string, change: (node: Node) => void): number => {
    const node = nodes.get(path)
    if (!node) return Errno.ENOENT
    change(node)
    if (path.startsWith(KEPT)) changed(path)
    return 0
  }
  const create = (path: string, mode: number): number => {
    if (nodes.has(path)) return Errno.EEXIST
    const parent = nodes.get(parentOf(path))
    if (!parent) return Errno.ENOENT
    if ((parent.stat.mode & DIR) === 0) return Errno.ENOTDIR
    const request = currentRequest()
    nodes.set(path, make(mode, request?.uid ?? 0, request?.gid ?? 0))
    stats.created.push({ path, uid: request?.uid ?? -1, gid: request?.gid ?? -1, umask: request?.umask ?? -1 })
    return 0
  }
  const statsFile = (): Buffer => Buffer.from(JSON.stringify(stats) + '\n')
  return { nodes, stats, waiting: [], holdCount, parentOf, childrenOf, statOf, changing, create, statsFile }
}

export function memoryFilesystem (holdCount: number, changed: (path: string) => void = () => {}): Operations {
  const tree = memoryTree(holdCount, changed)
  return { ...lookups(tree), ...contents(tree), ...names(tree), ...attributes(tree), ...extendedAttributes(tree) }
}

/** getattr, readdir, statfs and open: /.stats and the nodes as they are. */
function lookups ({ nodes, childrenOf, statOf }: MemoryTree): Pick<Operations, 'getattr' | 'readdir' | 'statfs' | 'open'> {
  return {
    getattr (path, cb) {
      if (path === '/.stats') return cb(0, { mode: FILE | 0o444, uid: 0, gid: 0, size: 0, mtime: 0, atime: 0, ctime: 0 })
      const node = nodes.get(path)
      node ? cb(0, statOf(path, node)) : cb(Errno.ENOENT)
    },
    readdir (path, cb) {
      const node = nodes.get(path)
      if (!node) return cb(Errno.ENOENT)
      if ((node.stat.mode & DIR) === 0) return cb(Errno.ENOTDIR)
      cb(0, childrenOf(path))
    },
    statfs (_path, cb) {
      cb(0, { bsize: 4096, frsize: 4096, blocks: 1000, bfree: 500, bavail: 500, files: 100, ffree: 50, namemax: 255 })
    },
    open (path, flags, cb) {
      if (path === '/.stats') return cb(0, 0)
      const node = nodes.get(path)
      if (!node) return cb(Errno.ENOENT)
      // The layer asks the kernel for atomic_o_trunc: O_TRUNC comes here, with no truncate after.
      if ((flags & O_TRUNC) !== 0) node.data = Buffer.alloc(0)
      cb(0, 0)
    }
  }
}

/** Files' contents: create, read (held, blocking or at once), write and truncate. */
function contents ({ nodes, stats, waiting, holdCount, changing, create, statsFile }: MemoryTree): Pick<Operations, 'create' | 'read' | 'write' | 'truncate'> {
  return {
    create (path, mode, cb) {
      cb(create(path, mode))
    },
    read (path, _fd, length, position, cb) {
      stats.largestRead = Math.max(stats.largestRead, length)
      if (path === '/.stats') {
        const data = statsFile()
        return cb(0, data.subarray(position, position + length))
      }
      const signal = currentRequest()!.signal
      const answer = (): void => {
        const node = nodes.get(path)
        if (!node) return cb(Errno.ENOENT)
        cb(0, node.data.subarray(position, position + length))
      }
      if (path === '/blocking') {
        return signal.addEventListener('abort', () => { stats.interrupted++; cb(Errno.EINTR) })
      }
      if (path.startsWith('/held/')) {
        waiting.push(answer)
        stats.mostReadsWaiting = Math.max(stats.mostReadsWaiting, waiting.length)
        if (waiting.length >= holdCount) for (const go of waiting.splice(0)) go()
        return
      }
      answer()
    },
    write (path, _fd, buffer, length, position, cb) {
      stats.largestWrite = Math.max(stats.largestWrite, length)
      const code = changing(path, node => {
        const end = position + length
        if (end > node.data.length) node.data = Buffer.concat([node.data, Buffer.alloc(end - node.data.length)])
        buffer.copy(node.data, position, 0, length)
        node.stat.mtime = now()
      })
      cb(code === 0 ? length : code)
    },
    truncate (path, size, cb) {
      cb(changing(path, node => {
        node.data = size <= node.data.length ? node.data.subarray(0, size) : Buffer.concat([node.data, Buffer.alloc(size - node.data.length)])
      }))
    }
  }
}

/** unlink, mkdir, rmdir and rename. */
function names ({ nodes, parentOf, childrenOf, create }: MemoryTree): Pick<Operations, 'unlink' | 'mkdir' | 'rmdir' | 'rename'> {
  return {
    unlink (path, cb) {
      const node = nodes.get(path)
      if (!node) return cb(Errno.ENOENT)
      if ((node.stat.mode & DIR) !== 0) return cb(Errno.EISDIR)
      nodes.delete(path)
      cb(0)
    },
    mkdir (path, mode, cb) {
      cb(create(path, DIR | mode))
    },
    rmdir (path, cb) {
      if (!nodes.has(path)) return cb(Errno.ENOENT)
      if (childrenOf(path).length > 0) return cb(Errno.ENOTEMPTY)
      nodes.delete(path)
      cb(0)
    },
    rename (src, dest, cb) {
      if (!nodes.has(src)) return cb(Errno.ENOENT)
      if (!nodes.has(parentOf(dest))) return cb(Errno.ENOENT)
      for (const [path, node] of [...nodes]) {
        if (path === src || path.startsWith(src + '/')) {
          nodes.delete(path)
          nodes.set(dest + path.slice(src.length), node)
        }
      }
      cb(0)
    }
  }
}

/** chmod, chown and utimens, each change told for what is under /kept/. */
function attributes ({ changing }: MemoryTree): Pick<Operations, 'chmod' | 'chown' | 'utimens'> {
  return {
    chmod (path, mode, cb) {
      cb(changing(path, node => { node.stat.mode = (node.stat.mode & 0o170000) | (mode & 0o7777) }))
    },
    chown (path, uid, gid, cb) {
      cb(changing(path, node => {
        if (uid !== UNCHANGED_ID) node.stat.uid = uid
        if (gid !== UNCHANGED_ID) node.stat.gid = gid
      }))
    },
    utimens (path, atime, mtime, cb) {
      cb(changing(path, node => {
        node.stat.atime = atime
        node.stat.mtime = mtime
      }))
    }
  }
}

/** Extended attributes, set, read, listed and removed. */
function extendedAttributes ({ nodes }: MemoryTree): Pick<Operations, 'setxattr' | 'getxattr' | 'listxattr' | 'removexattr'> {
  return {
    setxattr (path, name, value, _position, _flags, cb) {
      const node = nodes.get(path)
      if (!node) return cb(Errno.ENOENT)
      node.xattrs.set(name, Buffer.from(value))
      cb(0)
    },
    getxattr (path, name, _position, cb) {
      const value = nodes.get(path)?.xattrs.get(name)
      value ? cb(0, value) : cb(Errno.ENODATA)
    },
    listxattr (path, cb) {
      const node = nodes.get(path)
      node ? cb(0, [...node.xattrs.keys()]) : cb(Errno.ENOENT)
    },
    removexattr (path, name, cb) {
      const node = nodes.get(path)
      if (!node) return cb(Errno.ENOENT)
      node.xattrs.delete(name) ? cb(0) : cb(Errno.ENODATA)
    }
  }
}
