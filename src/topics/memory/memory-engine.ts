import type { Message } from '../../framing/message'
import type { TopicEngine, WriteToken } from '../engine'
import { TopicError } from '../errors'
import { MemoryTopic } from './memory-topic'
import { MemoryNamespace } from './memory-namespace'
import { MemoryWaits } from './memory-waits'
import { splitPath, validateNewPath } from '../paths'
import { exists, KindLookups, noTopic, nothingAt, requireDirectory, requireRemovableDirectory } from '../rules/kinds'
import { checkTopicRename } from '../rules/rename'
import type { Claim, Creator, DirectoryEntry, FollowPage, GroupInfo, GroupPolicy, OwnershipChange, PathStat, ReadPage, ReadRequest, RetentionChange, RetentionLimits, TopicStat, Woken } from '../types'

export interface MemoryEngineOptions {
  /** Put before a topic's path in the name keyOf gives it. @default "memory:" */
  prefix: string
  /** Retention for topics without limits of their own (RedisEngineOptions.defaultRetention). @default {} */
  defaultRetention: RetentionLimits
}

/**
 * The memory engine: every topic (memory-topic.ts) and directory (memory-namespace.ts) in this
 * process, for tests and for running the mount layer without Redis. It answers as the Redis engine does
 * (redis/redis-engine.ts, with redis/namespace.ts and redis/lookup.ts): the checks both make are
 * rules/ (kinds.ts, rename.ts, ownership.ts, retention.ts), hence the same errors; a directory
 * exists when its parent lists it, as a listing hash says there.
 * Nothing is shared with other processes, so there are no other clients' entries to account.
 */
export class MemoryEngine implements TopicEngine {
  private readonly prefix: string
  private readonly defaultRetention: RetentionLimits
  private readonly topics = new Map<string, MemoryTopic>()
  private readonly namespace = new MemoryNamespace()
  /**
   * Forwarding addresses left by renames: old path -> (topic uid -> new path). Redis keeps them
   * a day; here they last as long as the engine.
   */
  private readonly forwards = new Map<string, Map<string, string>>()
  private readonly waits = new MemoryWaits()
  /** Changes with loseEverything(), as a Redis server's run id does when it restarts. */
  private server = 1
  private readonly kinds: KindLookups = {
    listedKind: async path => this.namespace.kindOf(path),
    hasTopic: async path => this.topics.has(path)
  }

  constructor (options: Partial<MemoryEngineOptions> = {}) {
    this.prefix = options.prefix ?? 'memory:'
    this.defaultRetention = options.defaultRetention ?? {}
  }

  async stat (path: string): Promise<PathStat | undefined> {
    if (path !== '') {
      const topic = this.topics.get(path)
      if (topic) return topic.stat(this.defaultRetention)
      if (this.namespace.kindOf(path) !== 'directory') return undefined
    }
    return this.namespace.directoryStat(path)
  }

  async statTopic (path: string): Promise<TopicStat | undefined> {
    return this.topics.get(path)?.stat(this.defaultRetention)
  }

  async topicUid (path: string): Promise<string | undefined> {
    return this.topics.get(path)?.uid
  }

  requireDirectory (path: string): Promise<void> {
    return requireDirectory(this.kinds, path)
  }

  async create (path: string, creator?: Creator): Promise<TopicStat> {
    validateNewPath(path)
    const { parent, name } = splitPath(path)
    await this.requireDirectory(parent)
    if (this.namespace.kindOf(path) === 'directory') throw exists(path, 'directory')
    if (this.topics.has(path)) throw exists(path)
    const topic = new MemoryTopic(creator)
    this.topics.set(path, topic)
    this.namespace.enlist(parent, name, 'topic')
    return topic.stat()
  }

  async append (path: string, uid: string, messages: Message[], delayMs?: number, token?: WriteToken): Promise<number> {
    if (messages.length === 0) return 0
    const topic = this.topics.get(path)
    if (topic?.uid !== uid) throw new TopicError('ESTALE', 'ESTALE the topic was removed after it was opened')
    if (token && !topic.noteWrite(token.writer, token.request)) return topic.stat(this.defaultRetention).size
    const delay = delayMs ?? topic.delayMs
    if (delay !== undefined && delay > 0) {
      topic.schedule(messages, delay)
      this.waits.enterWhenDue(topic)
      return topic.stat(this.defaultRetention).size
    }
    const size = topic.append(messages, this.defaultRetention)
    this.waits.wakeFollowers(topic)
    return size
  }

  async setDelay (path: string, delayMs: number | null): Promise<void> {
    this.settableTopic(path).setDelay(delayMs ?? undefined)
  }

  /** The topic at `path`, for a change of its settings: ENOENT, or EISDIR for a directory, as on Redis. */
  private settableTopic (path: string): MemoryTopic {
    const topic = this.topics.get(path)
    if (!topic) throw noTopic(path, this.namespace.kindOf(path))
    return topic
  }

  async read (path: string, request: ReadRequest): Promise<ReadPage | undefined> {
    const topic = this.topics.get(path)
    if (!topic) return undefined
    return { uid: topic.uid, gen: topic.generation, ...topic.read(request.offset, request.maxBytes, request.base, request.gen) }
  }

  async retain (path: string, change: RetentionChange): Promise<void> {
    this.settableTopic(path).retain(change, this.defaultRetention)
  }

  async readAfter (path: string, afterId: string, maxBytes: number): Promise<FollowPage | undefined> {
    const topic = this.topics.get(path)
    if (!topic) return undefined
    const { lastId, data, count } = topic.readAfter(afterId, maxBytes)
    return { uid: topic.uid, lastId, data, count }
  }

  async waitForEntries (path: string, afterId: string, uid: string, signal: AbortSignal): Promise<Woken> {
    if (signal.aborted) return 'aborted'
    const topic = this.topics.get(path)
    if (topic?.uid !== uid) return 'gone'
    if (topic.hasAfter(afterId)) return 'data'
    return await this.waits.wait(path, topic, afterId, signal)
  }

  async locate (path: string, uid: string): Promise<string | undefined> {
    const seen = new Set<string>()
    for (let at: string | undefined = path; at !== undefined && !seen.has(at); at = this.forwards.get(at)?.get(uid)) {
      if (this.topics.get(at)?.uid === uid) return at
      seen.add(at)
    }
    return undefined
  }

  async claim (path: string, group: string, consumer: string, policy: GroupPolicy, done?: readonly string[], ahead?: number): Promise<Claim | undefined> {
    return this.topics.get(path)?.groups.claim(group, consumer, policy, done, ahead)
  }

  async acknowledge (path: string, group: string, ...ids: string[]): Promise<void> {
    for (const id of ids) this.topics.get(path)?.groups.acknowledge(group, id)
  }


  async holdClaim (path: string, group: string, consumer: string, id: string, deliveries: number, idleMs = 0): Promise<boolean> {
    return this.topics.get(path)?.groups.hold(group, consumer, id, deliveries, idleMs) ?? false
  }

  async giveBack (path: string, group: string, consumer: string, policy: GroupPolicy, ids: readonly string[]): Promise<number> {
    return this.topics.get(path)?.groups.giveBack(group, consumer, policy, ids) ?? 0
  }

  async leaveGroup (path: string, group: string, consumer: string): Promise<void> {
    this.topics.get(path)?.groups.leave(group, consumer)
  }

  async sweepConsumers (path: string, group: string, idleMs: number, self: string): Promise<number> {
    return this.topics.get(path)?.groups.sweep(group, idleMs, self) ?? 0
  }

  async groups (path: string): Promise<GroupInfo[] | undefined> {
    return this.topics.get(path)?.groups.list()
  }

  async firstId (path: string): Promise<string | undefined> {
    return this.topics.get(path)?.firstId
  }

  async serverId (): Promise<string> {
    return String(this.server)
  }

  /**
   * What a Redis without persistence does when it restarts: every topic and directory is gone,
   * and the server's id changes. Waiters are woken, as Redis's existence checks would.
   */
  loseEverything (): void {
    this.topics.clear()
    this.namespace.clear()
    this.forwards.clear()
    this.server++
    this.waits.endAll('gone')
  }

  keyOf (path: string): string {
    return `${this.prefix}{${path}}`
  }

  async reset (path: string): Promise<void> {
    const topic = this.topics.get(path)
    if (!topic) throw new TopicError('ENOENT', 'ENOENT no such topic')
    topic.reset()
    this.waits.enterWhenDue(topic)
  }

  async remove (path: string): Promise<void> {
    const { parent, name } = splitPath(path)
    const existed = this.dropTopic(path)
    if (!existed && this.namespace.kindOf(path) === 'directory') throw noTopic(path, 'directory')
    const listed = this.namespace.unlist(parent, name)
    if (!existed && !listed) throw noTopic(path, undefined)
  }

  async mkdir (path: string, creator?: Creator): Promise<void> {
    validateNewPath(path)
    await this.requireDirectory(splitPath(path).parent)
    if (this.topics.has(path) || this.namespace.kindOf(path) !== undefined) throw exists(path)
    this.namespace.addDirectory(path, creator)
  }

  async changeOwnership (path: string, change: OwnershipChange): Promise<void> {
    const topic = path === '' ? undefined : this.topics.get(path)
    if (topic) return topic.changeOwnership(change)
    if (path !== '' && this.namespace.kindOf(path) !== 'directory') throw nothingAt(path)
    this.namespace.changeOwnership(path, change)
  }

  async rmdir (path: string): Promise<void> {
    await requireRemovableDirectory(this.kinds, path, async () => this.namespace.children(path).size)
    this.namespace.removeDirectory(path)
  }

  async list (path: string): Promise<DirectoryEntry[]> {
    await this.requireDirectory(path)
    const children = this.namespace.children(path)
    return [...children.keys()].sort().map(name => ({ name, kind: children.get(name)! }))
  }

  /**
   * Renames a topic, replacing one at `to`, with its identity, messages and ids; a forwarding
   * address at `from` leads its followers to `to`. Directories answer EXDEV, as on Redis.
   */
  async rename (from: string, to: string): Promise<void> {
    if (from === to) return
    await checkTopicRename(this, from, to, true)
    const src = splitPath(from)
    const dst = splitPath(to)
    const topic = this.topics.get(from)
    if (!topic) throw new TopicError('ENOENT', 'ENOENT no such topic')
    this.dropTopic(to)
    this.dropTopic(from)
    this.topics.set(to, topic)
    this.namespace.unlist(src.parent, src.name)
    this.namespace.enlist(dst.parent, dst.name, 'topic')
    topic.touch()
    const forwards = this.forwards.get(from) ?? new Map<string, string>()
    this.forwards.set(from, forwards.set(topic.uid, to))
  }

  /** Ends every wait ('aborted'); the topics stay, and later waits wait again. */
  close (): void {
    this.waits.endAll('aborted')
  }

  /** Forgets the topic at `path`, waking its followers ('gone'); whether there was one. */
  private dropTopic (path: string): boolean {
    const topic = this.topics.get(path)
    if (!topic) return false
    this.topics.delete(path)
    this.waits.dropped(path, topic)
    return true
  }
}
