import { groupsLog } from '../../log'
import { Alarm } from '../../util/alarm'
import type { Turns } from '../../util/turns'
import type { AheadSink, ClaimAhead } from './claim-ahead'
import { ConsumerSweeps, SWEEP_AFTER_TIMEOUTS } from './consumer-sweeps'
import { moveToDeadLetters } from './dead-letters'
import type { TopicEngine } from '../engine'
import { outlastingOutages } from './outages'
import type { Claim, GroupPolicy } from '../types'

/** Shortest pause before claiming again when a held message may be free: no busy loop. */
const MIN_RETRY_MS = 20

/** A message handed to this reader: acknowledge it, or let it go back after the visibility timeout. */
export interface Delivery {
  id: string
  /** The message's rendered bytes (a line with its newline). */
  data: Buffer
  /** How many times it has been handed out, this time included. */
  deliveries: number
}

/** What a group reader tells about its work, for metrics. */
export interface GroupEvents {
  delivered? (group: string, delivery: Delivery): void
  acknowledged? (group: string): void
  deadLettered? (group: string): void
}

/** What the readers of one group of one topic in one process share (see GroupReader). */
export interface SharedReading {
  /**
   * Only the reader whose turn it is waits and claims once there was nothing, so a new message
   * costs one claim, not one per waiting reader.
   */
  turns: Turns
  /** Messages claimed ahead for the readers, and the acknowledgements they owe (claim-ahead.ts). */
  ahead?: ClaimAhead
}

/**
 * One reader of a consumer group of one topic: claims the group's next message (a message other
 * readers left unacknowledged past the visibility timeout first), waits when there is none, moves
 * messages handed out too often to TOPIC.dead, and acknowledges what it was given. Waits on the
 * engine's follow hub, so any number of readers share one connection. Redis being away is waited
 * out, as a follower waits.
 */
export class GroupReader {
  /** A message finished and not acknowledged yet: the next claim acknowledges it. */
  private finished: Delivery | undefined
  /** When messages this reader let go are claimable again (Date.now() times; see expectRetryAt). */
  private retriesDue: number[] = []
  /** The alarm that ends the current wait for messages, if one is under way. */
  private waitAlarm: Alarm | undefined

  constructor (
    private readonly engine: TopicEngine,
    /** Where the topic is now; moves with renames. */
    public path: string,
    /** The topic's identity when the reader began: a topic created in its place is another. */
    readonly uid: string,
    readonly group: string,
    readonly consumer: string,
    readonly policy: GroupPolicy,
    private readonly events: GroupEvents = {},
    private readonly shared?: SharedReading,
    /**
     * When the group's idle consumers were last swept, shared by the readers of one process;
     * without it this reader sweeps on its own.
     */
    private readonly sweeps: ConsumerSweeps = new ConsumerSweeps()
  ) {}

  /**
   * The next message for this reader, waiting for one as long as it takes; undefined when the
   * topic is gone, or `signal` aborted before a message was claimed (a claim that was under way
   * is never dropped: its message is returned). `done`, a message this reader finished, is
   * acknowledged with the first claim (one round trip for both), or alone if none is made.
   */
  async next (signal: AbortSignal, done?: Delivery): Promise<Delivery | undefined> {
    // A message left from a call that failed is acknowledged with this one's claim.
    if (done) this.finished = done
    const claimedAhead = signal.aborted ? undefined : this.shared?.ahead?.take()
    if (claimedAhead) return this.handOut(claimedAhead)
    return await outlastingOutages(() => this.claimNext(signal), signal, undefined, err => {
      // Tried again with the next claim; meanwhile the message may go to another reader.
      if (this.finished) groupsLog('acknowledging message %s of group %s failed: %s', this.finished.id, this.group, err.message)
      groupsLog('reader of group %s of %s waits for Redis: %s', this.group, this.path, err.message)
    })
  }

  /** The message is done: it is never handed out again. */
  async acknowledge (delivery: Delivery): Promise<void> {
    await this.engine.acknowledge(this.path, this.group, delivery.id)
    this.events.acknowledged?.(this.group)
  }

  /**
   * Keeps `delivery` from going to another reader for another visibility timeout, less `idleMs`
   * (its idle time from now on: the visibility timeout less D makes it claimable in D); false
   * when it is gone from us.
   */
  hold (delivery: Delivery, idleMs = 0): Promise<boolean> {
    return this.engine.holdClaim(this.path, this.group, this.consumer, delivery.id, delivery.deliveries, idleMs)
  }

  /**
   * A message this reader let go (see hold) is claimable again at `at`, a Date.now() time: a
   * wait for messages, which looks again only when the claim before it said so, ends then.
   */
  expectRetryAt (at: number): void {
    this.retriesDue.push(at)
    this.waitAlarm?.ringBy(at)
  }

  /** This reader is done: its consumer is dropped from the group unless it holds messages. */
  leave (): Promise<void> {
    return this.engine.leaveGroup(this.path, this.group, this.consumer)
  }

  private async claimNext (signal: AbortSignal): Promise<Delivery | undefined> {
    let endTurn: (() => void) | undefined
    try {
      return await this.claimInTurn(signal, async () => {
        if (endTurn || !this.shared) return true
        endTurn = await this.shared.turns.take(signal)
        return false
      })
    } finally {
      endTurn?.()
    }
  }

  /**
   * Claims until there is a message; when there is none, `mayWait` says whether to wait now
   * (true) or claim again first (false: a turn was just given, after other readers' claims).
   */
  private async claimInTurn (signal: AbortSignal, mayWait: () => Promise<boolean>): Promise<Delivery | undefined> {
    for (;;) {
      if (signal.aborted) {
        if (this.finished) await this.acknowledge(this.finished)
        this.finished = undefined
        return undefined
      }
      const claimedAt = Date.now()
      const claim = await this.claimCarrying(this.shared?.ahead)
      if (!claim || claim.uid !== this.uid) {
        if (await this.relocate()) continue
        return undefined
      }
      if (claim.kind === 'message') {
        const own = { id: claim.id, data: claim.data, deliveries: claim.deliveries }
        return this.handOut(this.shared?.ahead?.claimedNow(own, claim.ahead ?? [], this.sink) ?? own)
      }
      if (claim.kind === 'dead') {
        await this.deadLetter(claim)
        continue
      }
      if (await mayWait()) {
        await this.sweepIdleConsumers()
        await this.wait(claim, signal, claimedAt)
      }
    }
  }

  /**
   * A claim that acknowledges this reader's finished message and what the readers sharing
   * `ahead` owe, and takes as many messages ahead as they want. Owed acknowledgements it could
   * not send go back to `ahead`.
   */
  private async claimCarrying (ahead: ClaimAhead | undefined): Promise<Claim | undefined> {
    const owed = ahead?.takeAcknowledgements() ?? []
    const done = this.finished ? [this.finished.id, ...owed] : owed
    let claim: Claim | undefined
    try {
      claim = await this.engine.claim(this.path, this.group, this.consumer, this.policy, done, ahead?.wanted ?? 0)
    } catch (err) {
      this.acknowledgingFailed(owed, err as Error)
      ahead?.unsent(owed)
      throw err
    }
    if (!claim) {
      ahead?.unsent(owed)
      return claim
    }
    if (this.finished) this.events.acknowledged?.(this.group)
    this.finished = undefined
    for (let i = 0; i < owed.length; i++) this.events.acknowledged?.(this.group)
    return claim
  }

  /**
   * `delivery` is this reader's: the message it finished is owed to the readers' next claim (or
   * sent within a few milliseconds, see claim-ahead.ts).
   */
  private handOut (delivery: Delivery): Delivery {
    const ahead = this.shared?.ahead
    if (ahead && this.finished) {
      ahead.finished([this.finished.id], this.sink)
      this.finished = undefined
    }
    this.events.delivered?.(this.group, delivery)
    return delivery
  }

  private acknowledgingFailed (ids: readonly string[], err: Error): void {
    for (const id of ids) groupsLog('acknowledging message %s of group %s failed: %s', id, this.group, err.message)
  }

  /** Where the messages claimed ahead for this reader's group go back, and its acknowledgements go. */
  private readonly sink: AheadSink = {
    acknowledge: async ids => {
      try {
        await this.engine.acknowledge(this.path, this.group, ...ids)
      } catch (err) {
        this.acknowledgingFailed(ids, err as Error)
        throw err
      }
      for (let i = 0; i < ids.length; i++) this.events.acknowledged?.(this.group)
    },
    giveBack: async ids => { await this.engine.giveBack(this.path, this.group, this.consumer, this.policy, ids) }
  }

  /**
   * Until an entry after the last one comes, or a held message may have become free: when the
   * claim made at `claimedAt` said, or when a message let go since is due.
   */
  private async wait (claim: Extract<Claim, { kind: 'none' }>, signal: AbortSignal, claimedAt: number): Promise<void> {
    // Aborted during the claim: an abort listener added now would never fire.
    if (signal.aborted) return
    const waking = new AbortController()
    const onAbort = (): void => waking.abort()
    signal.addEventListener('abort', onAbort, { once: true })
    // A message handed to another client and never acknowledged may turn up at any time, even with
    // none pending now (a service's XREADGROUP): look at least once per visibility timeout.
    const retryMs = Math.max(MIN_RETRY_MS, Math.min(claim.retryInMs ?? this.policy.visibilityMs, this.policy.visibilityMs))
    const alarm = new Alarm(() => waking.abort())
    alarm.ringBy(Date.now() + retryMs)
    // The claim saw what was due before it began; what is due later, it may not have.
    this.retriesDue = this.retriesDue.filter(at => at > claimedAt)
    for (const at of this.retriesDue) alarm.ringBy(at)
    this.waitAlarm = alarm
    try {
      await this.engine.waitForEntries(this.path, claim.lastId, this.uid, waking.signal, claim.schedule)
    } finally {
      this.waitAlarm = undefined
      alarm.clear()
      signal.removeEventListener('abort', onAbort)
    }
  }

  /**
   * Removes the consumers of ours that mounts and workers gone for good left in the group: a
   * live reader claims at least once per visibility timeout, so one idle for several with
   * nothing pending is gone (on Redis before 7.2, whose idle time counts only the claims that
   * got a message, it may also be a live reader with nothing to do: it loses nothing, and comes
   * back with its next message). Done while there is nothing to hand out, so it never delays a
   * message; a failure is only logged (the next sweep tries again).
   */
  private async sweepIdleConsumers (): Promise<void> {
    const idleMs = SWEEP_AFTER_TIMEOUTS * this.policy.visibilityMs
    if (!this.sweeps.take(this.uid, this.group, idleMs)) return
    try {
      const removed = await this.engine.sweepConsumers(this.path, this.group, idleMs, this.consumer)
      if (removed > 0) groupsLog('group %s of %s: removed %d consumers idle for %d ms with nothing pending', this.group, this.path, removed, idleMs)
    } catch (err) {
      groupsLog('sweeping the idle consumers of group %s of %s failed: %s', this.group, this.path, (err as Error).message)
    }
  }

  /** Moves the message to TOPIC.dead (see dead-letters.ts), then acknowledges it. */
  private async deadLetter (claim: Extract<Claim, { kind: 'dead' }>): Promise<void> {
    const deadPath = await moveToDeadLetters(this.engine, this.path, claim.message)
    await this.engine.acknowledge(this.path, this.group, claim.id)
    groupsLog('group %s of %s: message %s moved to %s after %d deliveries', this.group, this.path, claim.id, deadPath, claim.deliveries - 1)
    this.events.deadLettered?.(this.group)
  }

  /** Whether the topic, not found at this.path, is now under another name (then this.path). */
  private async relocate (): Promise<boolean> {
    const at = await this.engine.locate(this.path, this.uid)
    if (at === undefined || at === this.path) return false
    this.path = at
    return true
  }
}
