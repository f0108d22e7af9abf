import { pollUntil } from '../../util/deadline'
import { TopicError } from '../../topics/errors'
import type { Caller } from '../caller'

/** At unmount, how long followers get to close their files after their end of file. */
const UNMOUNT_GRACE_MS = 1000
/** How often, during that grace, the open followers are counted. */
const GRACE_POLL_MS = 10

/**
 * The reads of `.follow/`, `.live/` and `.group/` files that block for new messages. Each ends
 * when the kernel interrupts it, or when the mount goes away. The kernel interrupts a read when
 * a signal reaches the process waiting in it: Ctrl-C, a kill, SIGKILL too, for which the process
 * would otherwise wait in the kernel (state D) until the daemon answers.
 */
export class Followers {
  private readonly pending = new Set<AbortController>()
  private closing = false

  /** Follower reads waiting for a message now. */
  get blocked (): number {
    return this.pending.size
  }

  /**
   * A read that may block, of the file the kernel names `fusePath`, made by `caller`: `read` gets
   * a signal that aborts when the kernel interrupts the request or the mount goes away, and then
   * answers what it has (a message it already took is delivered). Empty once the mount is going;
   * EINTR when interrupted with nothing to deliver.
   */
  async read (fusePath: string, caller: Caller | undefined, read: (signal: AbortSignal) => Promise<Buffer>): Promise<Buffer> {
    if (this.closing) return Buffer.alloc(0)
    const abort = new AbortController()
    const interrupted = caller?.signal
    const stop = (): void => abort.abort()
    if (interrupted?.aborted) abort.abort()
    else interrupted?.addEventListener('abort', stop)
    this.pending.add(abort)
    try {
      const data = await read(abort.signal)
      if (data.length === 0 && interrupted?.aborted && !this.closing) throw new TopicError('EINTR', `the read of ${fusePath} was interrupted`)
      return data
    } finally {
      this.pending.delete(abort)
      interrupted?.removeEventListener('abort', stop)
    }
  }

  /**
   * Before an unmount: every blocked follower gets end of file and no read blocks again. Waits
   * (at most `graceMs`) until `openFollowers()` is 0, so that the answers reach the followers
   * before the FUSE session goes away.
   */
  async release (openFollowers: () => number, graceMs = UNMOUNT_GRACE_MS): Promise<void> {
    this.closing = true
    for (const abort of this.pending) abort.abort()
    await pollUntil(() => openFollowers() === 0, { timeoutMs: graceMs, intervalMs: GRACE_POLL_MS })
  }
}
