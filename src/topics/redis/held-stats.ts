import { topicsLog } from '../../log'
import type { KeyLayout } from './keys'
import type { Lookup } from './lookup'
import type { Namespace } from './namespace'
import { joinPath, splitPath } from '../paths'
import type { ScriptRunner } from './script-runner'
import { StatAhead } from './stat-ahead'
import type { TrackedStats } from './tracked-stats'
import type { DirectoryEntry, TopicStat } from '../types'

/** Stats read ahead per pipeline: each costs Redis about a script call, so a pipeline holds it a few ms. */
const READ_AHEAD_BATCH = 256
/** Topics of one directory read ahead at most. */
const READ_AHEAD_MAX = 20_000

/**
 * What a store does to hold topics' stats (standalone Redis and Sentinel): it forgets its own
 * changes as it sends them, reads the stats of a directory ahead when a scan of it begins (see
 * stat-ahead.ts), and brings a held stat up to date from the reply of its own append. The
 * stats themselves are read and held by Lookup, over the tracked connection (tracked-stats.ts).
 */
export class HeldStats {
  private readonly ahead = new StatAhead()

  constructor (
    private readonly tracked: TrackedStats,
    main: ScriptRunner,
    private readonly lookup: Lookup,
    private readonly namespace: Namespace,
    private readonly keys: KeyLayout
  ) {
    main.onChange = keys => tracked.cache.forget(keys)
    lookup.onMiss = path => this.missed(path)
  }

  /** Whether stats are held now (changes are heard of). */
  get up (): boolean {
    return this.tracked.cache.up
  }

  /** The runner of the tracked connection. */
  get runner (): ScriptRunner {
    return this.tracked.runner
  }

  /** The mark to pass to appended() for an append sent now. */
  get mark (): number {
    return this.tracked.cache.mark
  }

  /** The stat held of the topic at `path`. */
  held (path: string): TopicStat | undefined {
    return this.tracked.cache.get(path)
  }

  /** The last id held of the topic at `path`, if its stat is held. */
  lastId (path: string): string | undefined {
    return this.held(path)?.lastId
  }

  /** Tells `listener` of each path whose held stat is dropped (undefined: all of them). */
  watch (listener: (path: string | undefined) => void): void {
    this.tracked.cache.onDropped = listener
  }

  close (): void {
    this.tracked.close()
  }

  /** This mount may have changed the topic at `path` (a failed append, say): nothing held of it stays. */
  forget (path: string): void {
    const keys = this.keys.topic(path)
    this.tracked.cache.forget([keys.stream, keys.meta])
  }

  /**
   * What an append through the tracked connection, sent at `mark`, replied: the topic's bytes,
   * last id and count, or no count when it scheduled its messages (which no held stat may hide).
   */
  appended (path: string, mark: number, [bytes, lastId, count]: [string, string, number?]): void {
    const keys = this.keys.topic(path)
    if (count === undefined) this.forget(path)
    else this.tracked.cache.appended(path, [keys.stream, keys.meta], mark, { size: Number(bytes), entries: Number(count), lastId, mtimeMs: Number(lastId.split('-')[0]) })
  }

  /** A readdir listed `entries` of `dir`: the kernel will most likely ask for each one's stat next (ls -l, find). */
  listed (dir: string, entries: readonly DirectoryEntry[]): void {
    if (this.up && this.ahead.listed(dir, Date.now())) this.readAhead(dir, entries)
  }

  private missed (path: string): void {
    const { parent } = splitPath(path)
    if (!this.ahead.missed(parent, Date.now())) return
    this.namespace.list(parent).then(entries => this.readAhead(parent, entries), err => topicsLog('reading %s ahead: %s', parent, err.message))
  }

  /** Reads ahead, a pipeline after another so that the scan's own stats interleave, the listed topics not held yet. */
  private readAhead (dir: string, entries: readonly DirectoryEntry[]): void {
    const cache = this.tracked.cache
    const paths = entries.filter(entry => entry.kind === 'topic').slice(0, READ_AHEAD_MAX).map(entry => joinPath(dir, entry.name)).filter(path => !cache.get(path))
    const next = async (from: number): Promise<void> => {
      if (from >= paths.length || !cache.up) return
      await this.lookup.readAhead(paths.slice(from, from + READ_AHEAD_BATCH))
      await next(from + READ_AHEAD_BATCH)
    }
    next(0).catch(err => topicsLog('reading %s ahead: %s', dir, err.message))
  }
}
