import type Fuse from 'fuse-native'
import type { PathStat } from '../topics/types'

const S_IFREG = 0o100000
const S_IFDIR = 0o040000

export interface Owner {
  uid: number
  gid: number
  readOnly: boolean
}

/** The stat(2) answer for a topic or directory: size exact, mtime the newest message. */
export function buildAttr (stat: PathStat, owner: Owner, mountedAtMs: number): Fuse.Stat {
  if (stat.kind === 'directory') {
    return {
      mode: S_IFDIR | (owner.readOnly ? 0o555 : 0o755),
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
    mode: S_IFREG | (owner.readOnly ? 0o444 : 0o644),
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
