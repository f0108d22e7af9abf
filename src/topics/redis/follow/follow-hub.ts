import type { Redis } from 'ioredis'
import { topicsLog } from '../../../log'
import { typed } from '../../../redis/errors'
import { isTimeout, sleep, withDeadline } from '../../../util/deadline'
import { identities, WaiterSet } from './waiter-set'
import { entriesByStream, pageAfter, StreamEntries, XreadBufferReply } from './woken-pages'

/** How long one XREAD blocks, and so how often waited-on topics are checked for removal. */
const BLOCK_MS = 1000
/** Beyond the block time, how long an XREAD may take before the link is taken for dead. */
const XREAD_GRACE_MS = 2000
/** Pause after a failed XREAD, so that a Redis that is down is not asked in a tight loop. */
const XREAD_RETRY_MS = 100
/** Tries of CLIENT UNBLOCK, 1 ms apart, before the XREAD is left to end by itself. */
const UNBLOCK_ATTEMPTS = 100
/** Entries one XREAD returns per stream, handed to the followers it wakes. */
const XREAD_COUNT = 8
/**
 * Up to this many topics waited on, their identities are read right behind each XREAD (see
 * FollowHub.loop); beyond, followers woken read the entries themselves, and removals are found
 * by a check after an idle block.
 */
const MAX_IDENTITIES_READ = 64

/**
 * Multiplexes every blocked follower of a mount onto one blocking connection: a single
 * `XREAD BLOCK` over all the streams waited on. A new stream, or an earlier id, interrupts the
 * current XREAD with CLIENT UNBLOCK from the main connection. XREAD does not wake on removal,
 * so after each idle block the hub checks that the topics still exist.
 */
export class FollowHub extends WaiterSet {
  private readonly blocking: Redis
  private readonly blockMs: number
  private blockingId: number | undefined
  private inFlight = false
  /** The streams or ids waited on changed since the current XREAD was sent. */
  private stale = false
  private wakeLoop: (() => void) | undefined
  private lastCheck = Date.now()

  constructor (private readonly main: Redis, blockMs = BLOCK_MS) {
    super()
    this.blockMs = blockMs
    this.blocking = main.duplicate({
      connectionName: 'dnpipes-follow',
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      commandTimeout: this.blockMs + XREAD_GRACE_MS
    })
    this.blocking.on('error', err => topicsLog('follow connection: %s', err.message))
    // Another connection, another id: the loop asks again before its next XREAD.
    this.blocking.on('close', () => { this.blockingId = undefined })
    void this.loop()
  }

  /** Ends every wait ('aborted') and closes the blocking connection. */
  override close (): void {
    super.close()
    this.wakeLoop?.()
    this.blocking.disconnect()
  }

  protected changed (): void {
    this.stale = true
    if (this.wakeLoop) {
      this.wakeLoop()
      return
    }
    if (this.inFlight) void this.interrupt()
  }

  /** CLIENT UNBLOCK may arrive before the XREAD blocks; retry until it lands or XREAD returns. */
  private async interrupt (): Promise<void> {
    for (let attempt = 0; attempt < UNBLOCK_ATTEMPTS && this.inFlight && this.stale && !this.closed; attempt++) {
      if (this.blockingId !== undefined) {
        const unblocked = await this.main.client('UNBLOCK', this.blockingId).catch(() => 0)
        if (unblocked === 1) return
      }
      await sleep(1)
    }
  }

  /**
   * The blocking connection's id, known before an XREAD is sent on it so that CLIENT UNBLOCK can
   * interrupt even the first XREAD of a connection that connects when it is sent (lazily): asked
   * on 'ready', the id would queue behind that XREAD.
   */
  private async learnBlockingId (): Promise<boolean> {
    try {
      this.blockingId = Number(await typed(this.blocking.client('ID')))
      return true
    } catch (err) {
      if (!this.closed) {
        topicsLog('CLIENT ID failed: %s', (err as Error).message)
        await sleep(XREAD_RETRY_MS)
      }
      return false
    }
  }

  private async loop (): Promise<void> {
    while (!this.closed) {
      if (this.waiters.size === 0) {
        await new Promise<void>(resolve => { this.wakeLoop = resolve })
        this.wakeLoop = undefined
        continue
      }
      if (this.blockingId === undefined && !await this.learnBlockingId()) continue
      const waited = this.waitedStreams()
      const metas = this.waitedTopics()
      this.stale = false
      this.inFlight = true
      let reply: XreadBufferReply = null
      let uids: Promise<Map<string, string | null>> | undefined
      try {
        const read = typed(this.blocking.xreadBuffer('COUNT', XREAD_COUNT, 'BLOCK', this.blockMs, 'STREAMS', ...waited.keys(), ...waited.values()) as Promise<XreadBufferReply>)
        // Sent behind the XREAD on its connection, so Redis runs them as soon as it returns, and
        // their answers come with its own: whose topic the entries are, at no round trip more.
        if (metas.length <= MAX_IDENTITIES_READ) uids = identities(this.blocking, metas)
        reply = await withDeadline(read, this.blockMs + XREAD_GRACE_MS, 'XREAD BLOCK')
      } catch (err) {
        topicsLog('XREAD failed: %s', (err as Error).message)
        // No answer well past the block time: the link is dead or Redis is frozen. Start over.
        if (isTimeout(err)) this.blocking.disconnect(true)
        await sleep(XREAD_RETRY_MS)
      } finally {
        this.inFlight = false
      }
      const known = await uids ?? new Map<string, string | null>()
      for (const [stream, entries] of entriesByStream(reply)) this.wakeWithEntries(stream, entries, known)
      this.wakeGone(known)
      if (uids === undefined && Date.now() - this.lastCheck >= this.blockMs) {
        this.lastCheck = Date.now()
        await this.checkExistence(this.main)
      }
    }
  }

  /**
   * Wakes the waiters of `stream`, each with the entries after its position when they are known
   * to be its topic's (`uids`, read right after them); the others read them ('data').
   */
  private wakeWithEntries (stream: string, entries: StreamEntries, uids: Map<string, string | null>): void {
    this.waiters.wakeEach(waiter => {
      if (waiter.announced !== undefined && waiter.keys.due === stream) return 'data'
      if (waiter.keys.stream !== stream) return undefined
      const uid = uids.get(waiter.keys.meta)
      if (uid === undefined) return 'data'
      if (uid !== waiter.uid) return 'gone'
      return pageAfter(entries, waiter.afterId, uid) ?? 'data'
    })
  }
}
