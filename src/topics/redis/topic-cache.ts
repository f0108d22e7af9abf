import type { TopicStat } from '../types'

export interface TopicCacheOptions {
  /** Topics held at once (the most recently stored). @default 100000 */
  maxEntries: number
  /** Invalidations remembered for the replies still on their way. @default 4096 */
  remembered: number
}

interface Held {
  stat: TopicStat
  readonly keys: readonly string[]
}

/**
 * The stats of topics, held between changes. Redis's client tracking announces every change of
 * a key that a held stat was read from, made by any client (see tracked-stats.ts); the stat is
 * dropped when it is, and everything is while the announcements may go unheard.
 *
 * A reply can cross an announcement: the invalidation and the reply come on two connections. So
 * a read notes the mark when it is sent, and its reply is held only when none of its keys was
 * announced since; this mount's own changes count as announcements from the moment they are
 * sent (forget). Pure: the announcements are passed in.
 */
export class TopicCache {
  private readonly options: TopicCacheOptions
  private readonly entries = new Map<string, Held>()
  /** The path whose held stat each key was read for. */
  private readonly paths = new Map<string, string>()
  /** The keys announced, at their sequence numbers modulo `remembered`. */
  private readonly recent: string[]
  /** Counts every key announced; a mark is its value when a read is sent. */
  private sequence = 0
  /** Replies to reads sent before this are never held: everything changed, or tracking went up or down. */
  private barrier = 0
  private tracking = false
  /** Hears of each path whose held stat is dropped or brought up to date; undefined: of all of them at once. */
  onDropped: ((path: string | undefined) => void) | undefined

  constructor (options: Partial<TopicCacheOptions> = {}) {
    this.options = { maxEntries: 100_000, remembered: 4096, ...options }
    this.recent = new Array<string>(this.options.remembered)
  }

  /** Whether changes are heard of now, so that what is stored is held. */
  get up (): boolean {
    return this.tracking
  }

  /** What is held of the topic at `path`. */
  get (path: string): TopicStat | undefined {
    return this.entries.get(path)?.stat
  }

  /** The mark to pass to put() for a read sent now. */
  get mark (): number {
    return this.sequence
  }

  /** Holds `stat` of `path`, read from `keys` by a request sent at `mark`, unless one of them changed since. */
  put (path: string, stat: TopicStat, keys: readonly string[], mark: number): void {
    if (this.changedSince(keys, mark)) return
    this.drop(path)
    this.entries.set(path, { stat, keys })
    for (const key of keys) this.paths.set(key, path)
    if (this.entries.size > this.options.maxEntries) this.drop(this.entries.keys().next().value!)
  }

  /**
   * This mount's append through the tracked connection, sent at `mark`, left the topic at `path`
   * as `change` says (absolute values, from its reply). A held stat is brought up to date, unless
   * something else changed the topic since: then it is dropped. Either way onDropped hears of
   * it: what was handed out of the old stat is old.
   */
  appended (path: string, keys: readonly string[], mark: number, change: Pick<TopicStat, 'size' | 'entries' | 'lastId' | 'mtimeMs'>): void {
    const held = this.entries.get(path)
    if (!held) return
    if (this.changedSince(keys, mark)) return this.drop(path)
    held.stat = { ...held.stat, ...change }
    this.onDropped?.(path)
  }

  /** Redis announced a change of `keys`; null: of every key (FLUSHALL, FLUSHDB). */
  invalidated (keys: readonly string[] | null): void {
    if (keys === null) {
      this.clear()
      return
    }
    for (const key of keys) {
      this.recent[this.sequence % this.options.remembered] = key
      this.sequence++
      const path = this.paths.get(key)
      if (path !== undefined) this.drop(path)
    }
  }

  /** This mount is about to change `keys`: nothing read of them before answers after. */
  forget (keys: readonly string[]): void {
    this.invalidated(keys)
  }

  /** Changes are heard of from now on. */
  start (): void {
    this.clear()
    this.tracking = true
  }

  /** Changes may go unheard: nothing is held until start(). */
  stop (): void {
    this.tracking = false
    this.clear()
  }

  get size (): number {
    return this.entries.size
  }

  /** Whether a read of `keys` sent at `mark` may predate a change of one of them (or tracking is off). */
  private changedSince (keys: readonly string[], mark: number): boolean {
    if (!this.tracking || mark < this.barrier || this.sequence - mark > this.options.remembered) return true
    for (let at = mark; at < this.sequence; at++) {
      if (keys.includes(this.recent[at % this.options.remembered]!)) return true
    }
    return false
  }

  private clear (): void {
    if (this.entries.size > 0) this.onDropped?.(undefined)
    this.entries.clear()
    this.paths.clear()
    this.sequence++
    this.barrier = this.sequence
  }

  private drop (path: string): void {
    const held = this.entries.get(path)
    if (!held) return
    this.entries.delete(path)
    for (const key of held.keys) {
      if (this.paths.get(key) === path) this.paths.delete(key)
    }
    this.onDropped?.(path)
  }
}
