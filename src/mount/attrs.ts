import { DEFAULTS } from '../options'
import type { Stat } from '../fuse/types'
import type { TopicEngine } from '../topics/engine'
import { MODE_BITS } from '../topics/rules/ownership'
import { splitPath } from '../topics/paths'
import type { Creator, PathStat } from '../topics/types'
import type { Caller } from './caller'

const S_IFREG = 0o100000
const S_IFDIR = 0o040000
const S_ISGID = 0o2000

export interface Owner {
  uid: number
  gid: number
  readOnly: boolean
  /** Bits taken away from 0666 (topics) and 0777 (directories), as a umask does. @default 0o022 */
  umask?: number
}

/** The mount's umask when none is given (options.ts, where the default is written). */
export const DEFAULT_UMASK = DEFAULTS.files.umask

/** The uid and gid of this process: what entries show unless a mount says otherwise. */
export function processIds (): { uid: number, gid: number } {
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }
}

/** The stored mode, else `full` less the mount's umask; no write bits on a read-only mount. */
function permissions (stored: number | undefined, full: number, owner: Owner): number {
  const bits = stored ?? (full & ~(owner.umask ?? DEFAULT_UMASK))
  return owner.readOnly ? bits & ~0o222 : bits
}

/**
 * The stat(2) answer for a topic or directory: the stored owner, group and mode, else the
 * mount's (`owner`); a topic's size exact and its mtime the newest message's; a directory's
 * mtime when an entry was last added, removed or renamed in it, else the mount's start.
 */
export function buildAttr (stat: PathStat, owner: Owner, mountedAtMs: number): Stat {
  if (stat.kind === 'directory') {
    const mtime = stat.mtimeMs ?? mountedAtMs
    return {
      mode: S_IFDIR | permissions(stat.mode, 0o777, owner),
      uid: stat.owner ?? owner.uid,
      gid: stat.group ?? owner.gid,
      size: 4096,
      nlink: 2,
      blocks: 8,
      blksize: 4096,
      mtime,
      atime: mtime,
      ctime: Math.max(mtime, stat.ctimeMs ?? mtime)
    }
  }
  return {
    mode: S_IFREG | permissions(stat.mode, 0o666, owner),
    uid: stat.owner ?? owner.uid,
    gid: stat.group ?? owner.gid,
    size: stat.size,
    nlink: 1,
    blocks: Math.ceil(stat.size / 512),
    blksize: 4096,
    mtime: stat.mtimeMs,
    atime: stat.mtimeMs,
    ctime: Math.max(stat.mtimeMs, stat.ctimeMs)
  }
}

/**
 * The owner and mode of a new topic or directory: the calling process's uid and gid, and the
 * mode it asked for less its umask (the kernel may have applied it already; twice is the same).
 * Without a caller (the daemon acting on its own) the mount's --uid, --gid and --umask.
 */
export function creatorOf (requestedMode: number, caller: Caller | undefined, defaults: Omit<Owner, 'readOnly'>): Creator {
  const umask = caller?.umask ?? defaults.umask ?? DEFAULT_UMASK
  return {
    owner: caller?.uid ?? defaults.uid,
    group: caller?.gid ?? defaults.gid,
    mode: requestedMode & MODE_BITS & ~umask
  }
}

/**
 * What a new entry takes from its directory, as Linux filesystems do: in a directory with the
 * setgid bit, the directory's group, and a new directory the bit too.
 */
export function inheritFrom (parent: PathStat | undefined, creator: Creator, directory: boolean, owner: Owner): Creator {
  if (parent?.kind !== 'directory' || ((parent.mode ?? 0) & S_ISGID) === 0) return creator
  return {
    owner: creator.owner,
    group: parent.group ?? owner.gid,
    mode: directory ? creator.mode | S_ISGID : creator.mode
  }
}

/** Who a new entry at `path` belongs to: its caller, or the group of a setgid directory. */
export async function creatorAt (engine: TopicEngine, path: string, mode: number, caller: Caller | undefined, directory: boolean, owner: Owner): Promise<Creator> {
  const parent = await engine.stat(splitPath(path).parent)
  return inheritFrom(parent, creatorOf(mode, caller, owner), directory, owner)
}
