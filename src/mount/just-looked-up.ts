import type { Stat } from '../fuse/types'

/**
 * How long the attributes a lookup read from Redis may answer the getattr that follows it:
 * stat(2) of a name the kernel does not hold is a LOOKUP and a GETATTR, back to back, and the
 * second need not ask Redis again. Another host's change shows within this; this mount's own
 * changes at once (changed()).
 */
export const FRESH_MS = 1

/**
 * The attributes of the names just looked up, each answering at most one getattr, within
 * FRESH_MS, and only if this mount changed nothing since the lookup began. Pure: the clock is
 * given.
 */
export class JustLookedUp {
  private readonly entries = new Map<string, { stat: Stat, at: number }>()
  private epoch = 0

  constructor (private readonly now: () => number = () => performance.now(), private readonly freshMs = FRESH_MS) {}

  /** Called as a lookup starts; pass the result to remember(). */
  begin (): number {
    return this.epoch
  }

  /** What the lookup begun at `epoch` read, unless this mount changed something meanwhile. */
  remember (path: string, stat: Stat, epoch: number): void {
    if (epoch !== this.epoch) return
    // Lookups that no getattr followed (an open) are not kept for long: the map stays small.
    if (this.entries.size >= 1024) this.entries.clear()
    this.entries.set(path, { stat, at: this.now() })
  }

  /** The attributes a lookup of `path` read within FRESH_MS, once; undefined otherwise. */
  take (path: string): Stat | undefined {
    const entry = this.entries.get(path)
    if (!entry) return undefined
    this.entries.delete(path)
    return this.now() - entry.at <= this.freshMs ? entry.stat : undefined
  }

  /** This mount is changing something: nothing read before may answer after. */
  changed (): void {
    this.epoch++
    this.entries.clear()
  }
}
