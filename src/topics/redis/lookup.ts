import { topicsLog } from '../../log'
import type { DirectoryCache } from './directory-cache'
import { TopicError } from '../errors'
import { ListedKind, requireDirectory } from '../rules/kinds'
import { KeyLayout, ROOT, TopicKeys } from './keys'
import { parseOwnership } from '../rules/ownership'
import { splitPath } from '../paths'
import { retentionArgs, retentionOf } from '../rules/retention'
import type { ScriptRunner } from './script-runner'
import type { TopicCache } from './topic-cache'
import type { DirectoryStat, PathStat, RetentionLimits, TopicStat } from '../types'

/** What the stat script found: a topic, or a directory's attributes with the parent's listing of the name. */
type Found = TopicStat | { kind: 'other', attributes: DirectoryStat, listed: string | undefined }

/** A directory's stat from its stored attributes (each may be absent: older directories). */
function directoryStat (owner: unknown, group: unknown, mode: unknown, mtime: unknown, ctime: unknown): DirectoryStat {
  const stat: DirectoryStat = { kind: 'directory', ...parseOwnership(owner, group, mode) }
  const given = (value: unknown): boolean => value !== null && value !== undefined && value !== ''
  if (given(mtime)) stat.mtimeMs = Number(mtime)
  if (given(ctime)) stat.ctimeMs = Number(ctime)
  return stat
}

/** Where stats of topics are held between changes: the cache, and the runner whose reads Redis tracks for it. */
export interface HeldTopics {
  cache: TopicCache
  runner: ScriptRunner
}

/** A topic from stat.lua's reply (split at its spaces); fresh and holdable as the script says. */
function topicOf (reply: readonly string[]): { stat: TopicStat, fresh: boolean, holdable: boolean } {
  const [, uid = '', bytes, count, mtime, ctime, gen = '', fresh, lastId = '', owner, group, mode, retainMessages, retainBytes, retainSeconds, scheduled, delay, holdable] = reply
  const stat: TopicStat = {
    kind: 'topic',
    uid,
    size: Number(bytes),
    entries: Number(count),
    mtimeMs: Number(mtime),
    ctimeMs: Number(ctime),
    gen,
    lastId,
    retention: retentionOf(retainMessages, retainBytes, retainSeconds),
    scheduled: Number(scheduled),
    ...(delay ? { delayMs: Number(delay) } : {}),
    ...parseOwnership(owner, group, mode)
  }
  return { stat, fresh: fresh === '1', holdable: holdable === '1' }
}

/** Entries accounted per reconcile script call: bounds how long one call holds Redis. */
const RECONCILE_BATCH = 1000
/** Enough rounds for 100 million foreign entries; beyond that something keeps changing the stream. */
const MAX_RECONCILE_ROUNDS = 100_000

/** What a path is (topic, directory, nothing) and a topic's counters, each in one round trip. */
export class Lookup {
  constructor (
    private readonly runner: ScriptRunner,
    private readonly keys: KeyLayout,
    private readonly indexEvery: number,
    /** On a Redis Cluster a parent's listing is in another slot, out of a script's reach. */
    private readonly cluster: boolean,
    /** The mount's retention for topics without their own: a stat trims to it (stat.lua). */
    defaultRetention: RetentionLimits,
    /** Directories held between changes, when the store holds them. */
    private readonly directories?: DirectoryCache,
    /** Topics held between changes, when the store holds them. */
    private readonly topics?: HeldTopics
  ) {
    this.retentionArgs = retentionArgs(defaultRetention)
  }

  private readonly retentionArgs: string[]
  /** Hears of each topic's stat that asks Redis while stats are held (see stat-ahead.ts). */
  onMiss: ((path: string) => void) | undefined

  /** What is at `path`: a topic (with exact, current size), a directory, or nothing. */
  async stat (path: string): Promise<PathStat | undefined> {
    const held = this.directories?.get(path) ?? this.topics?.cache.get(path)
    if (held) return held
    const epoch = this.directories?.epoch ?? 0
    const stat = await this.fetchStat(path)
    if (stat?.kind === 'directory') this.directories?.put(path, stat, epoch)
    return stat
  }

  private async fetchStat (path: string): Promise<PathStat | undefined> {
    if (path === ROOT) {
      const [owner, group, mode, mtime, ctime] = await this.runner.command(redis =>
        redis.hmget(this.keys.directoryAttributes(ROOT), 'owner', 'group', 'mode', 'mtime', 'ctime'))
      return directoryStat(owner, group, mode, mtime, ctime)
    }
    // One script call answers it all on one server: every ls -l pays it once per name. On a
    // Cluster the parent's listing is asked at the same time (one round trip still).
    const [found, kind] = this.cluster
      ? await Promise.all([this.find(path, false), this.childKind(path)])
      : await this.find(path, true).then(found => [found, found.kind === 'other' ? found.listed : undefined] as const)
    if (found.kind === 'topic') return found
    return kind === 'd' ? found.attributes : undefined
  }

  /** The topic's identity: held, or one HGET, which neither runs a script nor accounts other clients' entries (appends do that). */
  async topicUid (path: string): Promise<string | undefined> {
    // Where stats are held, a whole stat costs about what the HGET does, and answers the
    // getattr that follows an open for writing (the kernel's size for O_APPEND) too.
    if (this.topics?.cache.up) return (await this.statTopic(path))?.uid
    return (await this.runner.command(redis => redis.hget(this.keys.topic(path).meta, 'uid'))) ?? undefined
  }

  /** The topic at `path`, or undefined; one round trip unless other clients changed it. */
  async statTopic (path: string): Promise<TopicStat | undefined> {
    const held = this.topics?.cache.get(path)
    if (held) return held
    const found = await this.find(path, false)
    return found.kind === 'topic' ? found : undefined
  }

  /**
   * The topic at `path`, else the attributes stored for a directory there (which may be gone)
   * and, when `listed` is asked for, how the parent lists the name.
   */
  private async find (path: string, listed: boolean): Promise<Found> {
    const keys = this.keys.topic(path)
    const attrs = this.keys.directoryAttributes(path)
    const { parent, name } = splitPath(path)
    const listing = listed ? this.keys.directory(parent) : attrs
    const held = this.topics?.cache.up ? this.topics : undefined
    const mark = held?.cache.mark ?? 0
    if (held) this.onMiss?.(path)
    for (let round = 0; ; round++) {
      // Fields as stat.lua lists them, '' for each not stored.
      const reply = (await (held?.runner ?? this.runner).run('stat', [keys.stream, keys.meta, attrs, listing, keys.index, keys.delayed], [listed ? name : '', ...this.retentionArgs, this.indexEvery]) as string).split(' ')
      if (reply[0] === 'd') {
        return { kind: 'other', attributes: directoryStat(reply[1], reply[2], reply[3], reply[4], reply[5]), listed: reply[6] || undefined }
      }
      const { stat, fresh, holdable } = topicOf(reply)
      if (fresh || round > 0) {
        if (held && round === 0 && holdable) held.cache.put(path, stat, [keys.stream, keys.meta], mark)
        // A stat that changed the topic (due messages entered, a trim) ended the tracking of
        // what it changed without a word (NOLOOP, see tracked-stats.ts): nothing read of it before may stay.
        else if (held) held.cache.forget([keys.stream, keys.meta])
        return stat
      }
      await this.reconcile(keys)
    }
  }

  /**
   * Reads the stats of the topics at `paths` in one pipelined round trip, and holds those that
   * may be held (see stat-ahead.ts): nothing when stats are not held now.
   */
  async readAhead (paths: readonly string[]): Promise<void> {
    const held = this.topics?.cache.up ? this.topics : undefined
    if (!held || paths.length === 0) return
    const mark = held.cache.mark
    const keysOf = paths.map(path => this.keys.topic(path))
    const replies = await held.runner.runPipelined('stat', paths.map((path, i) => {
      const keys = keysOf[i]!
      const attrs = this.keys.directoryAttributes(path)
      return [[keys.stream, keys.meta, attrs, attrs, keys.index, keys.delayed], ['', ...this.retentionArgs, this.indexEvery]] as const
    }))
    replies.forEach((reply, i) => {
      if (typeof reply !== 'string' || reply[0] !== 't') return
      const keys = keysOf[i]!
      const { stat, fresh, holdable } = topicOf(reply.split(' '))
      if (fresh && holdable) held.cache.put(paths[i]!, stat, [keys.stream, keys.meta], mark)
      else held.cache.forget([keys.stream, keys.meta])
    })
  }

  /** Brings a topic's counters and index up to date with entries other clients added or removed. */
  async reconcile (keys: TopicKeys): Promise<void> {
    topicsLog('reconcile %s', keys.stream)
    for (let round = 0; round < MAX_RECONCILE_ROUNDS; round++) {
      if (await this.runner.run('reconcile', [keys.stream, keys.meta, keys.index], [this.indexEvery, RECONCILE_BATCH]) === 1) return
    }
    throw new TopicError('EIO', `could not account the entries of ${keys.stream}`)
  }

  /** "f" (topic) or "d" (directory) as the parent directory lists `path`; undefined if it does not. */
  async childKind (path: string): Promise<string | undefined> {
    const { parent, name } = splitPath(path)
    return (await this.runner.command(redis => redis.hget(this.keys.directory(parent), name))) ?? undefined
  }

  /** What the parent directory lists `path` as (KindLookups). */
  async listedKind (path: string): Promise<ListedKind> {
    const kind = await this.childKind(path)
    return kind === undefined ? undefined : kind === 'd' ? 'directory' : 'topic'
  }

  async hasTopic (path: string): Promise<boolean> {
    return await this.statTopic(path) !== undefined
  }

  /** Resolves when `path` is a directory; ENOENT or ENOTDIR otherwise. */
  requireDirectory (path: string): Promise<void> {
    return requireDirectory(this, path)
  }
}
