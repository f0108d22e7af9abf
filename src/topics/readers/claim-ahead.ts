import { groupsLog } from '../../log'
import type { ClaimedAhead, GroupPolicy } from '../types'

/** The most new messages claimed ahead in one claim. */
export const MAX_AHEAD = 16
/** Reads counted to size the next claim: those of this last stretch of time. */
const RATE_WINDOW_MS = 20
/** Finished messages are acknowledged together, at most this long after the first of them. */
export const ACK_DELAY_MS = 2
/** After a failed acknowledgement, the next try waits this long: Redis is away, or busy. */
const ACK_RETRY_MS = 200

/** A claimed message and how many times it has been handed out, this time included. */
export type Claimed = ClaimedAhead & { deliveries: number }

/** Where the readers' acknowledgements and unread claims go (their topic's path of now). */
export interface AheadSink {
  /** XACK of several ids. */
  acknowledge (ids: string[]): Promise<void>
  /** Messages claimed ahead and never handed out, claimable by anybody at once (engine.giveBack). */
  giveBack (ids: string[]): Promise<void>
}

/**
 * The messages one process claimed ahead for its readers of one group of one topic, and the
 * acknowledgements they owe, so that readers that take messages quickly share one claim and one
 * acknowledgement among several messages instead of a round trip each.
 *
 * A claim takes as many messages ahead as the readers took in the last RATE_WINDOW_MS (at most
 * MAX_AHEAD): none for readers whose jobs take longer than that, so slow jobs are never held
 * back from other hosts' readers. A message claimed ahead is handed to a reader only while it
 * is fresh (a sixth of the visibility timeout): then the reader's heartbeats begin well before
 * anybody else may claim it. One left unread here once stale (its readers slowed down) or at the
 * last reader's close is given back: claimable by any reader at once, its delivery uncounted.
 * If the process dies first, it goes to another reader after the visibility timeout, as the
 * message a reader was reading does, with one delivery counted that no reader saw; so nothing
 * is claimed ahead when a single delivery is allowed (`--max-deliveries 1`), where that
 * delivery would send it to TOPIC.dead unread.
 */
export class ClaimAhead {
  private readonly claimed: Array<Claimed & { at: number }> = []
  /** When the readers took their last messages, oldest first. */
  private taken: number[] = []
  private unacknowledged: string[] = []
  private flushTimer: NodeJS.Timeout | undefined
  private staleTimer: NodeJS.Timeout | undefined
  /** Where the last reader that claimed or finished messages sends them. */
  private sink: AheadSink | undefined

  constructor (private readonly policy: GroupPolicy, private readonly clock: () => number = Date.now) {}

  /** How many new messages the next claim should take beyond the one it hands out. */
  get wanted (): number {
    if (this.policy.maxDeliveries < 2) return 0
    this.forgetOldReads(this.clock())
    return Math.min(MAX_AHEAD, this.taken.length)
  }

  /** The oldest message claimed ahead and still fresh, now the caller's; undefined when there is none. */
  take (): Claimed | undefined {
    const now = this.clock()
    this.giveBackStale(now)
    const next = this.claimed.shift()
    if (!next) return undefined
    this.tookOne(now)
    const { at, ...claimed } = next
    return claimed
  }

  /**
   * A claim took `own` for the caller and `ahead` for later reads; returns the caller's message.
   * Claims running side by side answer in stream order, so a new message claimed now comes
   * after those an earlier claim took ahead: the caller gets the oldest, and readers of one
   * process are handed messages in stream order. A message handed out again (its reader went
   * away) is the caller's at once.
   */
  claimedNow (own: Claimed, ahead: readonly ClaimedAhead[], sink: AheadSink): Claimed {
    const now = this.clock()
    if (ahead.length > 0) {
      this.sink = sink
      this.watchStaleness()
    }
    const first = own.deliveries > 1 || this.claimed.length === 0 ? own : undefined
    if (!first) this.claimed.push({ ...own, at: now })
    for (const claimed of ahead) this.claimed.push({ ...claimed, deliveries: 1, at: now })
    if (first) {
      this.tookOne(now)
      return first
    }
    return this.take() ?? own
  }

  /** Finished messages, acknowledged with the next claim or through `sink` within ACK_DELAY_MS. */
  finished (ids: readonly string[], sink: AheadSink): void {
    this.sink = sink
    this.owe(ids, ACK_DELAY_MS)
  }

  /** The acknowledgements owed, for a claim to carry; given back with `unsent` if it fails. */
  takeAcknowledgements (): string[] {
    const ids = this.unacknowledged
    this.unacknowledged = []
    clearTimeout(this.flushTimer)
    this.flushTimer = undefined
    return ids
  }

  /** Acknowledgements a claim or a flush could not send: sent with the next claim, or tried again later. */
  unsent (ids: readonly string[]): void {
    // Not acknowledged, so not lost: tried again; meanwhile, past the visibility timeout, it may go to another reader too.
    this.owe(ids, ACK_RETRY_MS)
  }

  /** The last reader is gone: owed acknowledgements are sent, what was claimed ahead given back. */
  async close (): Promise<void> {
    clearTimeout(this.staleTimer)
    const unread = this.claimed.splice(0).map(claimed => claimed.id)
    await Promise.all([this.flush(), this.giveBack(unread)])
  }

  private owe (ids: readonly string[], withinMs: number): void {
    if (ids.length === 0) return
    this.unacknowledged.push(...ids)
    if (this.flushTimer) return
    this.flushTimer = setTimeout(() => { void this.flush() }, withinMs)
    this.flushTimer.unref()
  }

  private async flush (): Promise<void> {
    const ids = this.takeAcknowledgements()
    if (ids.length === 0 || !this.sink) return
    await this.sink.acknowledge(ids).catch(() => this.unsent(ids))
  }

  private async giveBack (ids: string[]): Promise<void> {
    if (ids.length === 0 || !this.sink) return
    // Not given back: it goes to another reader after the visibility timeout instead.
    await this.sink.giveBack(ids).catch((err: Error) => groupsLog('giving back %d messages claimed ahead failed: %s', ids.length, err.message))
  }

  /** Gives back what turned stale unread, when it does, not only when a reader next comes. */
  private watchStaleness (): void {
    if (this.staleTimer) return
    this.staleTimer = setTimeout(() => {
      this.staleTimer = undefined
      this.giveBackStale(this.clock())
      if (this.claimed.length > 0) this.watchStaleness()
    }, this.policy.visibilityMs / 6)
    this.staleTimer.unref()
  }

  private giveBackStale (now: number): void {
    const freshFor = this.policy.visibilityMs / 6
    let stale = 0
    while (stale < this.claimed.length && now - this.claimed[stale]!.at >= freshFor) stale++
    if (stale > 0) void this.giveBack(this.claimed.splice(0, stale).map(claimed => claimed.id))
  }

  private tookOne (now: number): void {
    this.taken.push(now)
    this.forgetOldReads(now)
  }

  private forgetOldReads (now: number): void {
    let old = 0
    while (old < this.taken.length && now - this.taken[old]! > RATE_WINDOW_MS) old++
    if (old > 0) this.taken = this.taken.slice(old)
  }
}
