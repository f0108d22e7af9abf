import { Errno } from './errno'
import { childPath, NodeTable, ROOT_NODE } from './inodes'
import type { Operations } from './operations'
import { DirectoryEntry, direntsOut, PlusEntry, UNKNOWN_INO } from './reply'
import type { Reply } from './session'
import type { CacheTimes, Stat } from './types'

const S_IFDIR = 0o040000

/** A directory's listing, taken at its first READDIR and paged from by the following ones. */
interface Listing {
  entries: DirectoryEntry[]
}

/** What paging a listing needs of the path layer. */
export interface ListingContext {
  ops: Operations
  nodes: NodeTable
  cache: CacheTimes
  /** Counts a kernel reference to `path`'s node, handed out with `stat`, and returns its id. */
  remembered: (path: string, stat: Stat) => number
  /** Handles start after this one. */
  firstHandle: number
}

/** The listings of open directories, by handle: READDIR and READDIRPLUS answer pages of them. */
export class Listings {
  private readonly byHandle = new Map<number, Listing>()
  private nextHandle: number

  constructor (private readonly context: ListingContext) {
    this.nextHandle = context.firstHandle + 1
  }

  /** OPENDIR: a handle for the listing the first READDIR takes. */
  open (): number {
    return this.nextHandle++
  }

  /** RELEASEDIR. */
  release (fh: number): void {
    this.byHandle.delete(fh)
  }

  /** READDIR or (`plus`) READDIRPLUS of directory `path` (node `nodeid`) through handle `fh`: the page at `offset`. */
  page (path: string, nodeid: number, fh: number, offset: number, size: number, plus: boolean, reply: Reply): void {
    const { ops, nodes, cache } = this.context
    // Attributes the filesystem holds are taken as each page goes out, not when the listing was
    // taken: the kernel keeps them, and a change heard of between two pages must not be missed.
    const plusEntry = plus
      ? (entry: DirectoryEntry): PlusEntry | undefined => {
          if (entry.name === '.' || entry.name === '..') return undefined
          const target = childPath(path, entry.name)
          const stat = ops.heldAttributes?.(target) ?? entry.stat
          return stat ? { nodeid: this.context.remembered(target, stat), stat } : undefined
        }
      : undefined
    const answer = (listing: Listing): void => reply.ok(direntsOut(listing.entries, offset, size, cache, plusEntry))
    const known = this.byHandle.get(fh)
    if (offset > 0 && known) return answer(known)
    if (!ops.readdir) return reply.error(Errno.ENOSYS)
    ops.readdir(path, (code, names, stats) => {
      if (code !== 0 || !names) return reply.error(code || Errno.EIO)
      const parent = path === '/' ? ROOT_NODE : nodes.idOf(path.slice(0, path.lastIndexOf('/')) || '/')
      const entries: DirectoryEntry[] = [
        { name: '.', ino: nodeid, mode: S_IFDIR },
        { name: '..', ino: parent ?? UNKNOWN_INO, mode: S_IFDIR }
      ]
      names.forEach((n, i) => {
        // "." and ".." are this layer's to list, with their node ids.
        if (n === '.' || n === '..') return
        const stat = stats?.[i]
        entries.push({ name: n, stat, ino: stat?.ino ?? nodes.idOf(childPath(path, n)) ?? UNKNOWN_INO, mode: stat?.mode ?? 0 })
      })
      const listing = { entries }
      this.byHandle.set(fh, listing)
      answer(listing)
    })
  }
}
