/** Insertions between two sweeps of the nodes whose time ran out. */
const SWEEP_EVERY = 4096

/**
 * Which nodes' attributes the kernel keeps, and until when: those the filesystem answered with
 * a keeping time (Stat.keepSeconds). When one of them changes before its time runs out, the
 * kernel must be told to drop what it keeps (NOTIFY_INVAL_INODE); the others need no word.
 * Pure: times are passed in.
 */
export class KeptAttributes {
  private readonly until = new Map<number, number>()
  private added = 0

  /** The kernel was handed `nodeid`'s attributes, to keep `seconds` from `nowMs`. */
  kept (nodeid: number, seconds: number, nowMs: number): void {
    if (seconds <= 0) return
    this.until.set(nodeid, Math.max(this.until.get(nodeid) ?? 0, nowMs + seconds * 1000))
    if (++this.added % SWEEP_EVERY === 0) this.sweep(nowMs)
  }

  /**
   * The nodes whose kept attributes changed, of `nodeid` or (undefined) of every node, that the
   * kernel may still hold at `nowMs`; they count as no longer kept.
   */
  changed (nodeid: number | undefined, nowMs: number): number[] {
    if (nodeid !== undefined) {
      const until = this.until.get(nodeid)
      if (until === undefined) return []
      this.until.delete(nodeid)
      return until > nowMs ? [nodeid] : []
    }
    const held = [...this.until].filter(([, until]) => until > nowMs).map(([id]) => id)
    this.until.clear()
    return held
  }

  /** The kernel forgot `nodeid`: it keeps nothing of it. */
  forgotten (nodeid: number): void {
    this.until.delete(nodeid)
  }

  get size (): number {
    return this.until.size
  }

  private sweep (nowMs: number): void {
    for (const [id, until] of this.until) if (until <= nowMs) this.until.delete(id)
  }
}
