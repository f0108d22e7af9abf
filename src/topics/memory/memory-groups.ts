import { messageOf, render, EntryFields } from '../../framing/entry'
import { isOurConsumer } from '../consumer-names'
import { compareIds } from '../stream-id'
import type { Claim, ClaimedAhead, GroupInfo, GroupPolicy } from '../types'

/** An entry of a topic, as the groups see it. */
export interface GroupEntry {
  id: string
  fields: EntryFields
}

/** What the groups need of their topic (memory-topic.ts). */
export interface GroupSource {
  readonly uid: string
  readonly lastId: string
  /** The first entry after `afterId`, if any. */
  entryAfter (afterId: string): GroupEntry | undefined
  /** The entry `id`, unless a reset deleted it. */
  entry (id: string): GroupEntry | undefined
  /** How many entries come after `afterId`. */
  countAfter (afterId: string): number
}

interface Delivered {
  consumer: string
  deliveries: number
  /** When it was handed out or last held. */
  since: number
}

interface Group {
  lastDelivered: string
  /**
   * When each consumer last claimed, with or without a message, or held one: as Redis 7.2
   * counts a consumer's idle time (7.0 counts only the claims that got a message).
   */
  consumers: Map<string, number>
  /** Handed out and not acknowledged, by id. */
  pending: Map<string, Delivered>
}

/**
 * The consumer groups of one topic held in memory, as a stream's consumer groups behave in
 * Redis (claim.lua, hold.lua, leave.lua, sweep.lua): a group starts at the first entry, a
 * message left unacknowledged for the visibility timeout goes to the next claimer (oldest
 * first), and pending messages a reset deleted are dropped as the claims pass them.
 */
export class MemoryGroups {
  private readonly groups = new Map<string, Group>()

  constructor (private readonly source: GroupSource, private readonly clock: () => number = Date.now) {}

  claim (name: string, consumer: string, policy: GroupPolicy, done: readonly string[] = [], ahead = 0): Claim {
    const group = this.group(name)
    for (const id of done) group.pending.delete(id)
    const now = this.clock()
    group.consumers.set(consumer, now)
    for (const id of [...group.pending.keys()].sort(compareIds)) {
      const delivered = group.pending.get(id)!
      if (now - delivered.since < policy.visibilityMs) continue
      const entry = this.source.entry(id)
      if (!entry) {
        group.pending.delete(id)
        continue
      }
      Object.assign(delivered, { consumer, deliveries: delivered.deliveries + 1, since: now })
      return this.handed(entry, delivered.deliveries, policy)
    }
    const next = this.takeNew(group, consumer, now)
    if (next) {
      const claim = this.handed(next, 1, policy)
      const claimed: ClaimedAhead[] = []
      for (let entry; claimed.length < ahead && (entry = this.takeNew(group, consumer, now));) claimed.push({ id: entry.id, data: render(entry.fields) })
      return claim.kind === 'message' && claimed.length > 0 ? { ...claim, ahead: claimed } : claim
    }
    let retryInMs: number | undefined
    for (const delivered of [...group.pending.values()].slice(0, 100)) {
      const left = Math.max(0, policy.visibilityMs - (now - delivered.since))
      retryInMs = retryInMs === undefined ? left : Math.min(retryInMs, left)
    }
    return { kind: 'none', uid: this.source.uid, lastId: this.source.lastId, ...(retryInMs === undefined ? {} : { retryInMs }) }
  }

  acknowledge (name: string, id: string): void {
    this.groups.get(name)?.pending.delete(id)
  }

  hold (name: string, consumer: string, id: string, deliveries: number, idleMs = 0): boolean {
    const group = this.groups.get(name)
    const delivered = group?.pending.get(id)
    if (!group || !delivered || delivered.consumer !== consumer || delivered.deliveries !== deliveries) return false
    const now = this.clock()
    // As XCLAIM IDLE: an idle time below zero is taken as none.
    delivered.since = now - Math.max(0, idleMs)
    group.consumers.set(consumer, now)
    return true
  }

  giveBack (name: string, consumer: string, policy: GroupPolicy, ids: readonly string[]): number {
    let given = 0
    for (const id of ids) {
      const delivered = this.groups.get(name)?.pending.get(id)
      if (!delivered || delivered.consumer !== consumer || delivered.deliveries !== 1) continue
      Object.assign(delivered, { deliveries: 0, since: this.clock() - policy.visibilityMs })
      given++
    }
    return given
  }

  leave (name: string, consumer: string): void {
    const group = this.groups.get(name)
    if (!group) return
    for (const delivered of group.pending.values()) if (delivered.consumer === consumer) return
    group.consumers.delete(consumer)
  }

  sweep (name: string, idleMs: number, self: string): number {
    const group = this.groups.get(name)
    if (!group) return 0
    const now = this.clock()
    const holding = new Set([...group.pending.values()].map(delivered => delivered.consumer))
    let removed = 0
    for (const [consumer, seen] of group.consumers) {
      if (consumer === self || !isOurConsumer(consumer) || holding.has(consumer) || now - seen <= idleMs) continue
      group.consumers.delete(consumer)
      removed++
    }
    return removed
  }

  list (): GroupInfo[] {
    return [...this.groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, group]) => ({
      name,
      consumers: group.consumers.size,
      pending: group.pending.size,
      lag: this.source.countAfter(group.lastDelivered),
      lastDeliveredId: group.lastDelivered
    }))
  }

  private group (name: string): Group {
    let group = this.groups.get(name)
    if (!group) {
      group = { lastDelivered: '0-0', consumers: new Map(), pending: new Map() }
      this.groups.set(name, group)
    }
    return group
  }

  /** The group's next new entry, now pending for `consumer`; undefined when there is none. */
  private takeNew (group: Group, consumer: string, now: number): GroupEntry | undefined {
    const next = this.source.entryAfter(group.lastDelivered)
    if (!next) return undefined
    group.lastDelivered = next.id
    group.pending.set(next.id, { consumer, deliveries: 1, since: now })
    return next
  }

  private handed (entry: GroupEntry, deliveries: number, policy: GroupPolicy): Claim {
    const uid = this.source.uid
    if (deliveries > policy.maxDeliveries) return { kind: 'dead', uid, id: entry.id, deliveries, message: messageOf(entry.fields) }
    return { kind: 'message', uid, id: entry.id, deliveries, data: render(entry.fields) }
  }
}
