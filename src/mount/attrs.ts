import type Fuse from 'fuse-native'
import type { PathStat } from '../topics/types'

const S_IFREG = 0o100000
const S_IFDIR = 0o040000

export interface Owner {
  uid: number
  gid: number
  readOnly: boolean
  /** Bits taken away from 0666 (topics) and 0777 (directories), as a umask does. @default 0o022 */
  umask?: number
}

export const DEFAULT_UMASK = 0o022

/** The uid and gid of this process: what entries show unless a mount says otherwise. */
export function processIds (): { uid: number, gid: number } {
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }
}

function permissions (full: number, owner: Owner): number {
  const bits = full & ~(owner.umask ?? DEFAULT_UMASK)
  return owner.readOnly ? bits & ~0o222 : bits
}

/** The stat(2) answer for a topic or directory: size exact, mtime the newest message. */
export function buildAttr (stat: PathStat, owner: Owner, mountedAtMs: number): Fuse.Stat {
  if (stat.kind === 'directory') {
    return {
      mode: S_IFDIR | permissions(0o777, owner),
      uid: owner.uid,
      gid: owner.gid,
      size: 4096,
      nlink: 2,
      blocks: 8,
      blksize: 4096,
      mtime: mountedAtMs,
      atime: mountedAtMs,
      ctime: mountedAtMs
    }
  }
  return {
    mode: S_IFREG | permissions(0o666, owner),
    uid: owner.uid,
    gid: owner.gid,
    size: stat.size,
    nlink: 1,
    blocks: Math.ceil(stat.size / 512),
    blksize: 4096,
    mtime: stat.mtimeMs,
    atime: stat.mtimeMs,
    ctime: Math.max(stat.mtimeMs, stat.ctimeMs)
  }
}
