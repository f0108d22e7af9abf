import type { Cluster, Redis } from 'ioredis'
import { topicsLog } from '../../../log'
import { typed } from '../../../redis/errors'
import { isTimeout, sleep, withDeadline } from '../../../util/deadline'
import { TopicKeys } from '../keys'
import { compareIds, minId } from '../../stream-id'
import type { WakeReason, Woken } from '../../types'
import { Waiters } from '../../waiters'
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

/** What one blocked follower waits for. */
interface Waiting {
  keys: TopicKeys
  afterId: string
  uid: string
  /** The last announcement of a scheduled message it knows of (keys.due); undefined: it does not wait for them. */
  announced?: string
}

/** What a follower waits on: XREAD multiplexing on one Redis, notifications on a Cluster. */
export interface Hub {
  readonly waiting: number
  /** `announced`: also wake at an announcement of a scheduled message after it (see schedule.ts). */
  wait (keys: TopicKeys, afterId: string, uid: string, signal: AbortSignal, announced?: string): Promise<Woken>
  /** Wakes the waiters of `stream` at once: their topic was moved or removed through this mount. */
  gone (stream: string): void
  close (): void
}

/** The set of blocked followers, and how a wait is registered, woken and cancelled. */
export abstract class WaiterSet implements Hub {
  protected readonly waiters = new Waiters<Waiting>()
  protected closed = false

  get waiting (): number {
    return this.waiters.size
  }

  /** Resolves when an entry after `afterId` may exist (or with them), the topic is gone, or `signal` aborts. */
  wait (keys: TopicKeys, afterId: string, uid: string, signal: AbortSignal, announced?: string): Promise<Woken> {
    if (this.closed) return Promise.resolve('aborted')
    const woken = this.waiters.wait({ keys, afterId, uid, announced }, signal)
    this.changed()
    return woken
  }

  /** Ends every wait ('aborted'). */
  close (): void {
    this.closed = true
    this.waiters.wake(() => true, 'aborted')
  }

  gone (stream: string): void {
    this.wakeStream(stream, 'gone')
  }

  /** Wakes the waiters of `stream`: a topic's stream, or the stream of its schedule's announcements. */
  protected wakeStream (stream: string, reason: WakeReason): void {
    this.waiters.wake(waiting => waiting.keys.stream === stream || (waiting.announced !== undefined && waiting.keys.due === stream), reason)
  }

  /** The lowest id waited after, per stream, with the announcement streams of the waiters that wait for them. */
  protected waitedStreams (): Map<string, string> {
    const byStream = new Map<string, string[]>()
    const add = (stream: string, id: string): void => {
      const ids = byStream.get(stream) ?? []
      ids.push(id)
      byStream.set(stream, ids)
    }
    for (const waiter of this.waiters.values()) {
      add(waiter.keys.stream, waiter.afterId)
      if (waiter.announced !== undefined) add(waiter.keys.due, waiter.announced)
    }
    return new Map([...byStream].map(([stream, ids]) => [stream, minId(ids)!]))
  }

  /** The topics (metadata keys) waited on. */
  protected waitedTopics (): string[] {
    return [...new Set([...this.waiters.values()].map(waiter => waiter.keys.meta))]
  }

  /** Wakes the waiters whose topic was removed, or removed and created again. */
  protected async checkExistence (client: Redis | Cluster): Promise<void> {
    const metas = this.waitedTopics()
    if (metas.length === 0) return
    // One command per topic, sent together: on a Cluster they go to different nodes.
    this.wakeGone(await identities(client, metas))
  }

  /** `uids`: each topic's identity, null when it is gone; a topic missing says nothing. */
  protected wakeGone (uids: Map<string, string | null>): void {
    this.waiters.wake(waiter => {
      const uid = uids.get(waiter.keys.meta)
      return uid !== undefined && uid !== waiter.uid
    }, 'gone')
  }

  protected abstract changed (): void
}


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

/**
 * Each topic's identity (its uid; null when it is gone), one HGET each sent together; a topic
 * Redis did not answer for is left out, since that says nothing.
 */
async function identities (client: Redis | Cluster, metas: string[]): Promise<Map<string, string | null>> {
  const uids = await Promise.all(metas.map(meta => client.hget(meta, 'uid').catch(() => undefined)))
  const known = new Map<string, string | null>()
  metas.forEach((meta, i) => { if (uids[i] !== undefined) known.set(meta, uids[i]!) })
  return known
}

export interface NotifyHubOptions {
  /** The channel appends are announced on (the stream key as message). */
  channel: string
  /** How often waited-on streams are checked for entries other clients added, and for removal. @default 250 */
  pollMs: number
}

/**
 * Followers on a Redis Cluster, where one XREAD cannot span hash slots: every append made by
 * dnpipes announces its stream on a channel (PUBLISH reaches every node), which wakes the
 * followers of that stream at once; entries added by other clients, and removals, are found by
 * a poll of the waited streams' last ids.
 */
export class NotifyHub extends WaiterSet {
  private readonly subscriber: Cluster
  private readonly timer: NodeJS.Timeout
  private polling = false

  constructor (private readonly main: Cluster, options: NotifyHubOptions) {
    super()
    this.subscriber = main.duplicate([], { enableOfflineQueue: true, lazyConnect: false })
    this.subscriber.on('error', err => topicsLog('notify connection: %s', err.message))
    this.subscriber.on('message', (_channel: string, stream: string) => this.wakeStream(stream, 'data'))
    this.subscriber.subscribe(options.channel).catch(err => topicsLog('SUBSCRIBE failed: %s', err.message))
    this.timer = setInterval(() => { void this.poll() }, options.pollMs)
    this.timer.unref()
  }

  override close (): void {
    super.close()
    clearInterval(this.timer)
    this.subscriber.disconnect()
  }

  protected changed (): void {}

  private async poll (): Promise<void> {
    if (this.polling || this.waiters.size === 0) return
    this.polling = true
    try {
      const waited = [...this.waitedStreams()]
      const tops = await Promise.all(waited.map(([stream]) => this.main.xrevrange(stream, '+', '-', 'COUNT', 1).catch(() => [])))
      waited.forEach(([stream, afterId], i) => {
        const last = tops[i]?.[0]?.[0]
        if (last !== undefined && compareIds(last, afterId) > 0) this.wakeStream(stream, 'data')
      })
      await this.checkExistence(this.main)
    } finally {
      this.polling = false
    }
  }
}
