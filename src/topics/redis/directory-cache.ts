import type { DirectoryStat } from '../types'

export interface DirectoryCacheOptions {
  /** Directories held at once (the most recently stored). @default 10000 */
  maxEntries: number
}

/**
 * What directories are (their stored attributes), held between changes. Every script that
 * changes a directory's attributes or lists or unlists one publishes its path (see
 * keys.ts: the directories channel); a path heard of is dropped, and so is everything while
 * the subscription is down. The kernel asks for the attributes of every directory on a path
 * it resolves when it checks permissions (--allow-other): held here, they cost no round trip.
 *
 * A reply can cross a change: read before the change reached Redis, received after its
 * message. So a read notes the epoch when it is sent, and its reply is held only when nothing
 * was heard of since. Pure: the subscription's events are passed in.
 */
export class DirectoryCache {
  private readonly options: DirectoryCacheOptions
  private readonly entries = new Map<string, DirectoryStat>()
  private subscribed = false
  /** Moves on with every change heard of, and whenever the subscription goes up or down. */
  private epochs = 0
  /** Hears of each path whose held attributes are dropped; undefined: of all of them at once. */
  onDropped: ((path: string | undefined) => void) | undefined

  constructor (options: Partial<DirectoryCacheOptions> = {}) {
    this.options = { maxEntries: 10_000, ...options }
  }

  /** What is held of `path`; undefined when nothing is, or the subscription is down. */
  get (path: string): DirectoryStat | undefined {
    return this.subscribed ? this.entries.get(path) : undefined
  }

  /** The epoch to pass to put() for a read sent now. */
  get epoch (): number {
    return this.epochs
  }

  /** Holds `stat` of `path`, read by a request sent at `epoch`, unless a change was heard of since. */
  put (path: string, stat: DirectoryStat, epoch: number): void {
    if (!this.subscribed || epoch !== this.epochs) return
    // What was handed out of a stat replaced is old, as of one dropped.
    if (this.entries.delete(path)) this.onDropped?.(path)
    this.entries.set(path, stat)
    if (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value
      if (oldest !== undefined) {
        this.entries.delete(oldest)
        this.onDropped?.(oldest)
      }
    }
  }

  /** A change of `path` was published (by any host), or made here. */
  changed (path: string): void {
    this.epochs++
    if (this.entries.delete(path)) this.onDropped?.(path)
  }

  /** The subscription is confirmed: from now on every change is heard of. */
  up (): void {
    this.epochs++
    this.subscribed = true
  }

  /** The subscription broke: changes may go unheard, so nothing is held until it is back. */
  down (): void {
    this.epochs++
    this.subscribed = false
    if (this.entries.size > 0) this.onDropped?.(undefined)
    this.entries.clear()
  }
}
