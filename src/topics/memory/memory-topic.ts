import { randomBytes } from 'node:crypto'
import { EntryFields, messageFields, render, renderedLength } from '../../framing/entry'
import type { Message } from '../../framing/message'
import { GroupEntry, MemoryGroups } from './memory-groups'
import { compareIds } from '../stream-id'
import { applyOwnership } from '../rules/ownership'
import { changedLimits, effectiveLimits, entriesToTrim, hasLimits, TrimmedEntry } from '../rules/retention'
import type { Ownership, OwnershipChange, RetentionChange, RetentionLimits, TopicStat } from '../types'

interface Entry {
  id: string
  /** The stream entry's field/value pairs, as Redis would hold them. */
  fields: EntryFields
  /** Byte offset where the entry's rendering starts, counted from the first entry since the last reset. */
  pos: number
  size: number
}

/** The entries a page holds, rendered. */
export interface MemoryPage {
  /** The reader's offset 0 (ReadRequest.base). */
  base: number
  firstPos: number
  lastId: string
  data: Buffer
  count: number
}

/** A message scheduled to enter at `dueMs` (delayed delivery). */
interface Scheduled {
  dueMs: number
  message: Message
}

/** Id before every entry, as a stream's counters name "no entry yet". */
const NO_ID = '0-0'

/**
 * One incarnation of a topic held in memory (see memory-engine.ts): its entries in id order,
 * each stored as the fields of src/framing/entry.ts and placed at the byte offset its rendering
 * starts at, so that a read at any offset is a binary search. Ids are made as XADD '*' makes
 * them (`<ms>-<seq>`, strictly increasing, also across resets).
 */
/** Requests kept per writer (append.lua's WRITES_KEPT). */
const WRITES_KEPT = 64

export class MemoryTopic {
  /** Identity of this incarnation: a topic removed and created again gets another. */
  readonly uid = randomBytes(8).toString('hex')
  private ctimeMs: number
  private mtimeMs: number
  private ownership: Ownership
  private gen = 0
  private entries: Entry[] = []
  private bytes = 0
  /** Where the oldest entry kept starts: the bytes retention deleted since the last reset. */
  private head = 0
  private retention: RetentionLimits = {}
  /** Scheduled messages by due time, those due at the same ms in the order they were pushed. */
  private scheduled: Scheduled[] = []
  /** Every message pushed waits this long first (delay-seconds); undefined for none. */
  private delay: number | undefined
  /** The last id made: a reset keeps it, as a stream keeps its last id through XTRIM. */
  private lastMs = 0
  private lastSeq = 0
  /** Its consumer groups: they stay through resets and renames, as a stream's do. */
  readonly groups = new MemoryGroups(this)
  /** Each writer's last appends' requests, as append.lua keeps them (see WriteToken). */
  private readonly writes = new Map<string, string[]>()

  constructor (ownership: Ownership = {}, now = Date.now()) {
    this.ctimeMs = now
    this.mtimeMs = now
    this.ownership = {}
    applyOwnership(this.ownership, ownership)
  }

  /** Notes `writer`'s append `request`: false when it had been noted (it is not to be applied again). */
  noteWrite (writer: string, request: string): boolean {
    const kept = this.writes.get(writer) ?? []
    if (kept.includes(request)) return false
    kept.push(request)
    if (kept.length > WRITES_KEPT) kept.shift()
    this.writes.set(writer, kept)
    return true
  }

  get generation (): string {
    return String(this.gen)
  }

  get lastId (): string {
    return this.entries[this.entries.length - 1]?.id ?? NO_ID
  }

  get firstId (): string | undefined {
    return this.entries[0]?.id
  }

  /** Its counters, once its due messages entered and it is trimmed to its retention limits (else `defaults`). */
  stat (defaults: RetentionLimits = {}): TopicStat {
    this.enterDue()
    this.trim(defaults)
    return {
      kind: 'topic',
      uid: this.uid,
      size: this.bytes,
      entries: this.entries.length,
      mtimeMs: this.mtimeMs,
      ctimeMs: this.ctimeMs,
      gen: this.generation,
      lastId: this.lastId,
      retention: { ...this.retention },
      scheduled: this.scheduled.length,
      ...(this.delay === undefined ? {} : { delayMs: this.delay }),
      ...this.ownership
    }
  }

  /** chmod and chown: the fields given change, and the ctime is now. */
  changeOwnership (change: OwnershipChange): void {
    applyOwnership(this.ownership, change)
    this.touch()
  }

  /** The ctime is now: a rename, as rename(2) marks the inode changed. */
  touch (): void {
    this.ctimeMs = Date.now()
  }

  /** The delay of every message pushed when the pusher gives none. */
  get delayMs (): number | undefined {
    return this.delay
  }

  /** Sets or lifts (undefined) its own delay; the ctime is now. */
  setDelay (ms: number | undefined): void {
    this.delay = ms
    this.touch()
  }

  /** When the next scheduled message is due; undefined when none is scheduled. */
  get nextDueMs (): number | undefined {
    return this.scheduled[0]?.dueMs
  }

  /** Schedules the messages to enter `delayMs` from now, after any due no later. */
  schedule (messages: Message[], delayMs: number): void {
    const dueMs = Date.now() + delayMs
    let at = this.scheduled.length
    while (at > 0 && this.scheduled[at - 1]!.dueMs > dueMs) at--
    const copies = messages.map(message => ({ dueMs, message: { payload: Buffer.from(message.payload), verbatim: message.verbatim } }))
    this.scheduled.splice(at, 0, ...copies)
  }

  /** Enters the scheduled messages due by now, in due order; how many did. */
  enterDue (): number {
    const now = Date.now()
    let due = 0
    while (due < this.scheduled.length && this.scheduled[due]!.dueMs <= now) due++
    if (due === 0) return 0
    const entering = this.scheduled.splice(0, due).map(scheduled => scheduled.message)
    this.add(entering)
    this.trim({})
    return due
  }

  /** Stores each message as one entry after those due, then trims to the retention limits; returns the new size. */
  append (messages: Message[], defaults: RetentionLimits = {}): number {
    this.enterDue()
    this.add(messages)
    this.trim(defaults)
    return this.bytes
  }

  private add (messages: Message[]): void {
    for (const message of messages) {
      // Copies: the caller's buffers may be reused once the append has returned.
      const fields = messageFields(message).map(field => Buffer.from(field))
      const size = renderedLength(fields)
      this.entries.push({ id: this.nextId(), fields, pos: this.head + this.bytes, size })
      this.bytes += size
    }
    this.mtimeMs = this.lastMs
  }

  /** Sets or lifts its own limits (the ctime is now), then trims to what applies. */
  retain (change: RetentionChange, defaults: RetentionLimits): void {
    this.retention = changedLimits(this.retention, change)
    this.touch()
    this.trim(defaults)
  }

  /** Deletes the oldest whole entries beyond the limits that apply (see retention.ts). */
  private trim (defaults: RetentionLimits): void {
    const limits = effectiveLimits(this.retention, defaults)
    if (!hasLimits(limits) || this.entries.length === 0) return
    const entries = this.entries
    function * oldestFirst (): Iterable<TrimmedEntry> {
      for (const entry of entries) yield { timeMs: Number(entry.id.slice(0, entry.id.indexOf('-'))), size: entry.size }
    }
    const trimmed = entriesToTrim(oldestFirst(), { count: entries.length, bytes: this.bytes }, limits, Date.now())
    if (trimmed.count === 0) return
    this.entries = entries.slice(trimmed.count)
    this.head += trimmed.bytes
    this.bytes -= trimmed.bytes
  }

  /** Deletes every entry, and the scheduled ones; the identity, the ids made so far, the limits and the delay stay. */
  reset (): void {
    this.entries = []
    this.scheduled = []
    this.bytes = 0
    this.head = 0
    this.gen++
    this.mtimeMs = Date.now()
  }

  /** Whether an entry after `afterId` exists. */
  hasAfter (afterId: string): boolean {
    return compareIds(this.lastId, afterId) > 0
  }

  /**
   * Whole entries that reach into [offset, offset + maxBytes) of a reader whose offset 0 is
   * `base` (the head when undefined, or after a reset: see read.lua); firstPos is the end when
   * there are none, and so is it when the reader's next entry was trimmed away.
   */
  read (offset: number, maxBytes: number, base: number | undefined, gen: string): MemoryPage {
    if (offset === 0) this.enterDue()
    const from = base === undefined || gen !== this.generation ? this.head : base
    const at = offset + from
    if (at < this.head) return { base: from, firstPos: offset, lastId: '', data: Buffer.alloc(0), count: 0 }
    return this.take(this.search(entry => entry.pos + entry.size > at), maxBytes, from)
  }

  /** Entries after the id `afterId`, until about `maxBytes` are taken. */
  readAfter (afterId: string, maxBytes: number): MemoryPage {
    this.enterDue()
    return this.take(this.search(entry => compareIds(entry.id, afterId) > 0), maxBytes, this.head)
  }

  entryAfter (afterId: string): GroupEntry | undefined {
    this.enterDue()
    return this.entries[this.search(entry => compareIds(entry.id, afterId) > 0)]
  }

  entry (id: string): GroupEntry | undefined {
    const found = this.entries[this.search(entry => compareIds(entry.id, id) >= 0)]
    return found?.id === id ? found : undefined
  }

  countAfter (afterId: string): number {
    return this.entries.length - this.search(entry => compareIds(entry.id, afterId) > 0)
  }

  /** Index of the first entry for which `past` holds (it holds for every later one too). */
  private search (past: (entry: Entry) => boolean): number {
    let low = 0
    let high = this.entries.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (past(this.entries[middle]!)) high = middle
      else low = middle + 1
    }
    return low
  }

  /** Entries from index `from` while fewer than `maxBytes` are taken (the last one may go past). */
  private take (from: number, maxBytes: number, base: number): MemoryPage {
    const parts: Buffer[] = []
    let lastId = ''
    let taken = 0
    for (let i = from; i < this.entries.length && taken < maxBytes; i++) {
      const entry = this.entries[i]!
      parts.push(render(entry.fields))
      taken += entry.size
      lastId = entry.id
    }
    const firstPos = (parts.length > 0 ? this.entries[from]!.pos : this.head + this.bytes) - base
    return { base, firstPos, lastId, data: Buffer.concat(parts, taken), count: parts.length }
  }

  /** The id XADD '*' would give: the clock's ms, or the last ms with the next sequence number. */
  private nextId (): string {
    const now = Date.now()
    if (now > this.lastMs) {
      this.lastMs = now
      this.lastSeq = 0
    } else {
      this.lastSeq++
    }
    return `${this.lastMs}-${this.lastSeq}`
  }
}
