import { fuseLog } from '../log'
import { pollUntil } from '../util/deadline'
import { BlockedRead, findDyingHolders, readsOfDyingThreads, readsToRelease } from './reaper'

/** How often blocked followers are checked for having been killed: well under a user's patience. */
const REAPER_INTERVAL_MS = 200
/** At unmount, how long followers get to close their files after their end of file. */
const UNMOUNT_GRACE_MS = 1000
/** How often, during that grace, the open followers are counted. */
const GRACE_POLL_MS = 10

interface PendingRead {
  read: BlockedRead
  abort: AbortController
}

/**
 * The reads of `.follow/`, `.live/` and `.group/` files that block for new messages: each can be cut
 * short, when its process was killed (the reaper, see reaper.ts) or when the mount goes away.
 */
export class Followers {
  private readonly pending = new Map<number, PendingRead>()
  private nextId = 1
  private reaper: NodeJS.Timeout | undefined
  private closing = false

  /** Follower reads waiting for a message now. */
  get blocked (): number {
    return this.pending.size
  }

  /**
   * A read that may block, of the file the kernel names `fusePath`, at `offset`, by thread
   * `tid` when known: `read` gets a signal that aborts when its process was killed or the mount
   * goes away. Empty once it is going.
   */
  async read (fusePath: string, offset: number, tid: number | undefined, read: (signal: AbortSignal) => Promise<Buffer>): Promise<Buffer> {
    if (this.closing) return Buffer.alloc(0)
    const id = this.nextId++
    const pending: PendingRead = { read: { id, path: fusePath.replace(/^\/+/, ''), offset, ...(tid === undefined ? {} : { tid }) }, abort: new AbortController() }
    this.pending.set(id, pending)
    try {
      return await read(pending.abort.signal)
    } finally {
      this.pending.delete(id)
    }
  }

  /** Watches for killed followers while any read is blocked. */
  startReaper (mountpoint: string): void {
    let scanning = false
    this.reaper = setInterval(() => {
      if (scanning || this.pending.size === 0) return
      scanning = true
      this.dyingReads(mountpoint).then(ids => {
        for (const id of ids) {
          fuseLog('releasing the blocked read %d of a killed process', id)
          this.pending.get(id)?.abort.abort()
        }
      }).catch(err => fuseLog('reaper: %s', err.message)).finally(() => { scanning = false })
    }, REAPER_INTERVAL_MS)
    this.reaper.unref()
  }

  /** Blocked reads of killed processes: by their thread where known, else by a scan of /proc. */
  private async dyingReads (mountpoint: string): Promise<number[]> {
    const reads = [...this.pending.values()].map(pending => pending.read)
    const known = reads.filter(read => read.tid !== undefined)
    const unknown = reads.filter(read => read.tid === undefined)
    const [byThread, byScan] = await Promise.all([
      readsOfDyingThreads(known),
      unknown.length === 0 ? [] : findDyingHolders(mountpoint).then(dying => readsToRelease(unknown, dying))
    ])
    return [...byThread, ...byScan]
  }

  /**
   * Before an unmount: every blocked follower gets end of file and no read blocks again. Waits
   * (at most `graceMs`) until `openFollowers()` is 0, so that the answers reach the followers
   * before the FUSE session goes away.
   */
  async release (openFollowers: () => number, graceMs = UNMOUNT_GRACE_MS): Promise<void> {
    this.closing = true
    clearInterval(this.reaper)
    for (const pending of this.pending.values()) pending.abort.abort()
    await pollUntil(() => openFollowers() === 0, { timeoutMs: graceMs, intervalMs: GRACE_POLL_MS })
  }
}
