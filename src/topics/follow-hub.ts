import type { Redis } from 'ioredis'
import { topicsLog } from '../log'
import { isTimeout, sleep, withDeadline } from '../util/deadline'
import { TopicKeys } from './keys'
import { minId } from './stream-id'

/** Why a wait ended: new entries may exist, the topic was removed or replaced, or the wait was cancelled. */
export type WakeReason = 'data' | 'gone' | 'aborted'

interface Waiter {
  keys: TopicKeys
  afterId: string
  uid: string
  wake (reason: WakeReason): void
}

export interface FollowHubOptions {
  /** How long one XREAD blocks; also how often waited-on topics are checked for removal. @default 1000 */
  blockMs?: number
}

/**
 * Multiplexes every blocked follower of a mount onto one blocking connection: a single
 * `XREAD BLOCK` over all the streams waited on. A new stream, or an earlier id, interrupts the
 * current XREAD with CLIENT UNBLOCK from the main connection. XREAD does not wake on removal,
 * so after each idle block the hub checks, in one pipeline, that the topics still exist.
 */
export class FollowHub {
  private readonly waiters = new Set<Waiter>()
  private readonly blocking: Redis
  private readonly blockMs: number
  private blockingId: number | undefined
  private inFlight = false
  /** The streams or ids waited on changed since the current XREAD was sent. */
  private stale = false
  private closed = false
  private wakeLoop: (() => void) | undefined
  private lastCheck = Date.now()

  constructor (private readonly main: Redis, options: FollowHubOptions = {}) {
    this.blockMs = options.blockMs ?? 1000
    this.blocking = main.duplicate({
      connectionName: 'dnpipes-follow',
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      commandTimeout: this.blockMs + 2000
    })
    this.blocking.on('error', err => topicsLog('follow connection: %s', err.message))
    this.blocking.on('ready', () => {
      this.blocking.client('ID').then(id => { this.blockingId = Number(id) }, () => undefined)
    })
    void this.loop()
  }

  get waiting (): number {
    return this.waiters.size
  }

  /** Resolves when an entry after `afterId` may exist, the topic is gone, or `signal` aborts. */
  wait (keys: TopicKeys, afterId: string, uid: string, signal: AbortSignal): Promise<WakeReason> {
    if (this.closed || signal.aborted) return Promise.resolve('aborted')
    return new Promise(resolve => {
      const onAbort = (): void => waiter.wake('aborted')
      const waiter: Waiter = {
        keys,
        afterId,
        uid,
        wake: reason => {
          if (!this.waiters.delete(waiter)) return
          signal.removeEventListener('abort', onAbort)
          resolve(reason)
        }
      }
      signal.addEventListener('abort', onAbort)
      this.waiters.add(waiter)
      this.changed()
    })
  }

  /** Ends every wait ('aborted') and closes the blocking connection. */
  close (): void {
    this.closed = true
    for (const waiter of [...this.waiters]) waiter.wake('aborted')
    this.wakeLoop?.()
    this.blocking.disconnect()
  }

  private changed (): void {
    this.stale = true
    if (this.wakeLoop) {
      this.wakeLoop()
      return
    }
    if (this.inFlight) void this.interrupt()
  }

  /** CLIENT UNBLOCK may arrive before the XREAD blocks; retry until it lands or XREAD returns. */
  private async interrupt (): Promise<void> {
    for (let attempt = 0; attempt < 100 && this.inFlight && this.stale && !this.closed; attempt++) {
      if (this.blockingId !== undefined) {
        const unblocked = await this.main.client('UNBLOCK', this.blockingId).catch(() => 0)
        if (unblocked === 1) return
      }
      await sleep(1)
    }
  }

  private async loop (): Promise<void> {
    while (!this.closed) {
      if (this.waiters.size === 0) {
        await new Promise<void>(resolve => { this.wakeLoop = resolve })
        this.wakeLoop = undefined
        continue
      }
      const byStream = new Map<string, string[]>()
      for (const waiter of this.waiters) {
        const ids = byStream.get(waiter.keys.stream) ?? []
        ids.push(waiter.afterId)
        byStream.set(waiter.keys.stream, ids)
      }
      const streams = [...byStream.keys()]
      const ids = streams.map(stream => minId(byStream.get(stream)!)!)
      this.stale = false
      this.inFlight = true
      let reply: Array<[string, unknown[]]> | null = null
      try {
        const read = this.blocking.xread('COUNT', 1, 'BLOCK', this.blockMs, 'STREAMS', ...streams, ...ids) as Promise<Array<[string, unknown[]]> | null>
        reply = await withDeadline(read, this.blockMs + 2000, 'XREAD BLOCK')
      } catch (err) {
        topicsLog('XREAD failed: %s', (err as Error).message)
        // No answer well past the block time: the link is dead or Redis is frozen. Start over.
        if (isTimeout(err)) this.blocking.disconnect(true)
        await sleep(100)
      } finally {
        this.inFlight = false
      }
      for (const [stream] of reply ?? []) {
        for (const waiter of [...this.waiters]) if (waiter.keys.stream === stream) waiter.wake('data')
      }
      if (Date.now() - this.lastCheck >= this.blockMs) await this.checkExistence()
    }
  }

  /** Wakes the waiters whose topic was removed (or removed and created again) meanwhile. */
  private async checkExistence (): Promise<void> {
    this.lastCheck = Date.now()
    const waiters = [...this.waiters]
    if (waiters.length === 0) return
    const metas = [...new Set(waiters.map(waiter => waiter.keys.meta))]
    const pipeline = this.main.pipeline()
    for (const meta of metas) pipeline.hget(meta, 'uid')
    const results = await pipeline.exec().catch(() => null)
    if (!results) return
    const uids = new Map(metas.map((meta, i) => [meta, results[i]?.[0] ? undefined : results[i]?.[1] as string | null]))
    for (const waiter of waiters) {
      const uid = uids.get(waiter.keys.meta)
      if (uid !== undefined && uid !== waiter.uid) waiter.wake('gone')
    }
  }
}
