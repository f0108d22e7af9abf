import { topicsLog } from '../log'
import { TopicError } from './errors'
import { KeyLayout, ROOT, TopicKeys } from './keys'
import { splitPath } from './paths'
import type { ScriptRunner } from './script-runner'
import type { PathStat, TopicStat } from './types'

/** Entries accounted per reconcile script call: bounds how long one call holds Redis. */
const RECONCILE_BATCH = 1000
/** Enough rounds for 100 million foreign entries; beyond that something keeps changing the stream. */
const MAX_RECONCILE_ROUNDS = 100_000

/** What a path is (topic, directory, nothing) and a topic's counters, each in one round trip. */
export class Lookup {
  constructor (private readonly runner: ScriptRunner, private readonly keys: KeyLayout, private readonly indexEvery: number) {}

  /** What is at `path`: a topic (with exact, current size), a directory, or nothing. */
  async stat (path: string): Promise<PathStat | undefined> {
    if (path === ROOT) return { kind: 'directory' }
    // Both questions at once (one round trip): path walks stat every ancestor directory.
    const [topic, kind] = await Promise.all([this.statTopic(path), this.childKind(path)])
    if (topic) return topic
    return kind === 'd' ? { kind: 'directory' } : undefined
  }

  /** One HGET, which neither runs a script nor accounts other clients' entries (appends do that). */
  async topicUid (path: string): Promise<string | undefined> {
    return (await this.runner.command(redis => redis.hget(this.keys.topic(path).meta, 'uid'))) ?? undefined
  }

  /** The topic at `path`, or undefined; one round trip unless other clients changed it. */
  async statTopic (path: string): Promise<TopicStat | undefined> {
    const keys = this.keys.topic(path)
    for (let round = 0; ; round++) {
      const reply = await this.runner.run('stat', [keys.stream, keys.meta], []) as string[] | null
      if (!reply) return undefined
      const [uid, bytes, count, mtime, ctime, gen, fresh, lastId] = reply as [string, string, string, string, string, string, number, string]
      if (fresh === 1 || round > 0) {
        return { kind: 'topic', uid, size: Number(bytes), entries: Number(count), mtimeMs: Number(mtime), ctimeMs: Number(ctime), gen, lastId }
      }
      await this.reconcile(keys)
    }
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

  /** Resolves when `path` is a directory; ENOENT or ENOTDIR otherwise. */
  async requireDirectory (path: string): Promise<void> {
    if (path === ROOT) return
    const kind = await this.childKind(path)
    if (kind === undefined) {
      if (await this.statTopic(path)) throw new TopicError('ENOTDIR', `${path} is a topic`)
      throw new TopicError('ENOENT', `no directory ${path}`)
    }
    if (kind !== 'd') throw new TopicError('ENOTDIR', `${path} is a topic`)
  }
}
