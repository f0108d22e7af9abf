export interface StatAheadOptions {
  /** Stats of names in one directory that asked Redis within windowMs, before the directory is read ahead. @default 16 */
  misses: number
  /** @default 1000 */
  windowMs: number
  /** A directory read ahead is not read ahead again for this long. @default 1000 */
  quietMs: number
  /** Directories whose misses are counted at once. @default 1024 */
  maxDirectories: number
}

/** Misses within this long make a scan; a directory read ahead rests as long. */
const SCAN_WINDOW_MS = 1000
const DEFAULTS: StatAheadOptions = { misses: 16, windowMs: SCAN_WINDOW_MS, quietMs: SCAN_WINDOW_MS, maxDirectories: 1024 }

/**
 * When to read the stats of a directory's topics ahead, in a few pipelined round trips, because
 * a scan of it (`ls -l`, `find`, a script that stats every name) is about to ask for them one at
 * a time: right after a readdir listed them, or once several stats of names in it asked Redis
 * within a second. What is read ahead is held like any stat (see topic-cache.ts), so the scan's
 * own stats cost no round trip. Pure: the clock is given.
 */
export class StatAhead {
  private readonly options: StatAheadOptions
  /** Per directory, the misses counted in the current window. */
  private readonly misses = new Map<string, { count: number, since: number }>()
  /** Per directory, when it was last read ahead. */
  private readonly readAt = new Map<string, number>()

  constructor (options: Partial<StatAheadOptions> = {}) {
    this.options = { ...DEFAULTS, ...options }
  }

  /** A stat of a name in `dir` asked Redis at `now`: whether to read `dir` ahead now. */
  missed (dir: string, now: number): boolean {
    const counted = this.misses.get(dir)
    if (!counted || now - counted.since > this.options.windowMs) {
      if (this.misses.size >= this.options.maxDirectories) this.misses.clear()
      this.misses.set(dir, { count: 1, since: now })
      return this.options.misses <= 1 && this.start(dir, now)
    }
    counted.count++
    return counted.count >= this.options.misses && this.start(dir, now)
  }

  /** A readdir listed `dir` at `now`: whether to read its names ahead. */
  listed (dir: string, now: number): boolean {
    return this.start(dir, now)
  }

  private start (dir: string, now: number): boolean {
    const last = this.readAt.get(dir)
    if (last !== undefined && now - last < this.options.quietMs) return false
    if (this.readAt.size >= this.options.maxDirectories) this.readAt.clear()
    this.readAt.set(dir, now)
    this.misses.delete(dir)
    return true
  }
}
