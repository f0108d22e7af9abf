import { randomBytes } from 'node:crypto'
import type { Cluster, Redis } from 'ioredis'
import { Message } from '../framing/message'
import { topicsLog } from '../log'
import { TopicError } from './errors'
import { FollowHub, Hub, NotifyHub } from './follow-hub'
import { slotMaster } from './key-slot'
import { KeyLayout, ROOT, TopicKeys } from './keys'
import { splitPath, validateNewPath } from './paths'
import { RangedPages, RangeEnd } from './ranged-pages'
import { SCRIPTS, ScriptName } from './scripts'

export type RedisClient = Redis | Cluster

export interface TopicStat {
  kind: 'topic'
  /** Identity of this incarnation of the topic: a topic removed and created again differs. */
  uid: string
  /** Bytes a full read returns now. */
  size: number
  entries: number
  mtimeMs: number
  ctimeMs: number
  /** Reset generation: changes whenever the topic is reset. */
  gen: string
  lastId: string
}

export interface DirectoryStat {
  kind: 'directory'
}

export type PathStat = TopicStat | DirectoryStat

export interface DirectoryEntry {
  name: string
  kind: 'topic' | 'directory'
}

export interface ReadRequest {
  gen: string
  offset: number
  /** Id of the last entry the reader already has, and the byte offset right after it. */
  afterId: string
  afterPos: number
  maxBytes: number
  /** Where the previous page said the next one can end; lets a sequential reader skip the script. */
  rangeEnd?: RangeEnd
}

export interface ReadPage {
  /** Identity of the topic the page is from (see TopicStat.uid). */
  uid: string
  gen: string
  /** Byte offset where `data` starts (the end of the topic when it is empty). */
  firstPos: number
  /** Id of the last entry in `data`; "" when there is none. */
  lastId: string
  /** The rendered bytes of whole entries. */
  data: Buffer
  /** How many entries `data` holds. */
  count: number
  /** An indexed entry the next page, from the end of this one, can end before. */
  rangeEnd?: RangeEnd
}

export interface FollowPage {
  /** Identity of the topic now: differs from the follower's when it was removed and recreated. */
  uid: string
  /** Id of the last entry in `data`; "" when there is none. */
  lastId: string
  data: Buffer
  count: number
}

export interface TopicStoreOptions {
  prefix?: string
  /** An index entry every this many bytes bounds the scan of a read at any offset. */
  indexEvery?: number
  /** On a Redis Cluster, moves between hash slots answer EXDEV. */
  cluster?: boolean
  /**
   * Appends return only once this many replicas have them (WAIT), so that a failover cannot
   * lose an acknowledged write. @default 0
   */
  waitReplicas?: number
  /** How long an append waits for its replicas before it fails with EIO. @default 2000 */
  waitTimeoutMs?: number
  /**
   * Sequential pages of about this many bytes are read with plain XRANGE on a connection of
   * their own (see ranged-pages.ts); 0 leaves every page to the read script. @default 524288
   */
  rangedPageBytes?: number
  /** Hears of the bytes of every page reply received on that connection (they become garbage). */
  onReplyBytes?: (bytes: number) => void
}

const RECONCILE_BATCH = 1000
/**
 * The append script's answer when another client changed the stream. Redis prefixes "ERR " to
 * an error reply whose first word it does not take for a code (a one-word reply, for one).
 */
const UNRECONCILED = /^(?:ERR )?UNRECONCILED\b/
const MAX_RECONCILE_ROUNDS = 100_000

/**
 * The Redis Streams side of dnpipes: topics, directories and their operations, in terms of
 * paths relative to the mount root ("team-a/orders"). Knows nothing about FUSE.
 */
export class TopicStore {
  readonly keys: KeyLayout
  private readonly indexEvery: number
  readonly cluster: boolean
  /** On a Cluster, appends announce their stream here for followers (see NotifyHub). */
  private readonly notifyChannel: string
  private readonly waitReplicas: number
  private readonly waitTimeoutMs: number
  private readonly rangedPageBytes: number
  private readonly ranged: RangedPages | undefined

  constructor (readonly redis: RedisClient, options: TopicStoreOptions = {}) {
    this.keys = new KeyLayout(options.prefix)
    this.indexEvery = options.indexEvery ?? 64 * 1024
    this.cluster = options.cluster ?? false
    this.notifyChannel = this.cluster ? this.keys.prefix + 'notify' : ''
    this.waitReplicas = options.waitReplicas ?? 0
    this.waitTimeoutMs = options.waitTimeoutMs ?? 2000
    this.rangedPageBytes = options.rangedPageBytes ?? 512 * 1024
    this.ranged = this.rangedPageBytes > 0 ? new RangedPages(redis, this.cluster, this.rangedPageBytes, options.onReplyBytes) : undefined
    for (const [name, script] of Object.entries(SCRIPTS)) {
      redis.defineCommand(`dnpipes_${name}`, { numberOfKeys: script.keys, lua: script.lua })
    }
  }

  /** Runs a script; `replies: 'buffer'` keeps bulk replies binary (payloads are bytes). */
  private run (name: ScriptName, keys: string[], args: Array<string | number | Buffer>, replies: 'string' | 'buffer' = 'string'): Promise<unknown> {
    const command = (this.redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[`dnpipes_${name}${replies === 'buffer' ? 'Buffer' : ''}`]!
    return command.call(this.redis, ...keys, ...args)
  }

  /** Closes the connections of its own (the client passed in stays the caller's). */
  close (): void {
    this.ranged?.close()
  }

  /** Why replays cannot page with plain XRANGE (they then go through the read script); undefined when they can. */
  async pageProblem (): Promise<string | undefined> {
    if (!this.ranged) return 'turned off'
    return await this.ranged.problem(this.keys.topic('.dnpipes-doctor'))
  }

  /** What is at `path`: a topic (with exact, current size), a directory, or nothing. */
  async stat (path: string): Promise<PathStat | undefined> {
    if (path === ROOT) return { kind: 'directory' }
    // Both questions at once (one round trip): path walks stat every ancestor directory.
    const [topic, kind] = await Promise.all([this.statTopic(path), this.childKind(path)])
    if (topic) return topic
    return kind === 'd' ? { kind: 'directory' } : undefined
  }

  /**
   * The identity of the topic at `path`, or undefined: all an open for writing needs. One HGET,
   * which neither runs a script nor accounts other clients' entries (appends do that).
   */
  async topicUid (path: string): Promise<string | undefined> {
    return (await this.redis.hget(this.keys.topic(path).meta, 'uid')) ?? undefined
  }

  /** The topic at `path`, or undefined; one round trip unless other clients changed it. */
  async statTopic (path: string): Promise<TopicStat | undefined> {
    const keys = this.keys.topic(path)
    for (let round = 0; ; round++) {
      const reply = await this.run('stat', [keys.stream, keys.meta], []) as string[] | null
      if (!reply) return undefined
      const [uid, bytes, count, mtime, ctime, gen, fresh, lastId] = reply as [string, string, string, string, string, string, number, string]
      if (fresh === 1 || round > 0) {
        return { kind: 'topic', uid, size: Number(bytes), entries: Number(count), mtimeMs: Number(mtime), ctimeMs: Number(ctime), gen, lastId }
      }
      await this.reconcile(keys)
    }
  }

  /** Brings a topic's counters and index up to date with entries other clients added or removed. */
  private async reconcile (keys: TopicKeys): Promise<void> {
    topicsLog('reconcile %s', keys.stream)
    for (let round = 0; round < MAX_RECONCILE_ROUNDS; round++) {
      if (await this.run('reconcile', [keys.stream, keys.meta, keys.index], [this.indexEvery, RECONCILE_BATCH]) === 1) return
    }
    throw new TopicError('EIO', `could not account the entries of ${keys.stream}`)
  }

  /** Creates an empty topic. Answers EEXIST when something is already at `path`. */
  async create (path: string): Promise<TopicStat> {
    validateNewPath(path)
    const { parent, name } = splitPath(path)
    const [, kind] = await Promise.all([this.requireDirectory(parent), this.childKind(path)])
    if (kind === 'd') throw new TopicError('EEXIST', `${path} is a directory`)
    const keys = this.keys.topic(path)
    const uid = randomBytes(8).toString('hex')
    // The topic first, then its directory entry: a crash in between leaves an invisible topic
    // rather than a listed name that does not exist.
    const created = await this.run('create', [keys.stream, keys.meta], [uid])
    if (created !== 1) throw new TopicError('EEXIST', `${path} exists`)
    await this.redis.hset(this.keys.directory(parent), name, 'f')
    const stat = await this.statTopic(path)
    if (!stat) throw new TopicError('ENOENT', `${path} was removed while being created`)
    return stat
  }

  /**
   * Appends messages in one atomic step, so messages from concurrent writers never interleave
   * inside one call. Resolves once Redis has applied them.
   */
  async append (path: string, uid: string, messages: Message[]): Promise<number> {
    if (messages.length === 0) return 0
    const keys = this.keys.topic(path)
    const args: Array<string | number | Buffer> = [uid, this.indexEvery, messages.map(m => m.verbatim ? 'r' : 'l').join(''), this.notifyChannel]
    for (const message of messages) args.push(message.payload)
    for (let round = 0; ; round++) {
      try {
        const reply = await this.run('append', [keys.stream, keys.meta, keys.index], args) as [string, string]
        if (this.waitReplicas > 0) await this.awaitReplicas(keys.stream)
        return Number(reply[0])
      } catch (err) {
        // Nothing was applied: account what another client added, then append after it.
        if (round < 3 && err instanceof Error && UNRECONCILED.test(err.message)) {
          await this.reconcile(keys)
          continue
        }
        throw err
      }
    }
  }

  /**
   * WAIT counts the replicas that have this connection's writes so far. On a Cluster it must be
   * sent on the connection to the master that ran the append: the one that owns the slot.
   */
  private async awaitReplicas (stream: string): Promise<void> {
    let connection: Redis = this.redis as Redis
    if (this.cluster) {
      const node = slotMaster(this.redis as Cluster, stream)
      if (!node) throw new TopicError('EIO', `no master known for the slot of ${stream}`)
      connection = node
    }
    const acknowledged = await connection.wait(this.waitReplicas, this.waitTimeoutMs)
    if (acknowledged < this.waitReplicas) {
      throw new TopicError('EIO', `only ${acknowledged} of ${this.waitReplicas} replicas acknowledged the write within ${this.waitTimeoutMs} ms`)
    }
  }

  /** Entries covering bytes from `offset`, continuing cheaply after the caller's last entry. */
  async read (path: string, request: ReadRequest): Promise<ReadPage | undefined> {
    const keys = this.keys.topic(path)
    const end = request.rangeEnd
    if (this.ranged && end && request.afterId !== '' && request.offset === request.afterPos && end.pos > request.afterPos) {
      const page = await this.ranged.read(keys, { gen: request.gen, afterId: request.afterId, afterPos: request.afterPos, end })
      if (page) return page
    }
    const reply = await this.run('read', [keys.stream, keys.meta, keys.index], [
      request.gen, request.offset, request.afterId, request.afterPos, request.maxBytes, this.indexEvery, this.rangedPageBytes
    ], 'buffer') as [Buffer, Buffer, Buffer, Buffer, number, Buffer, Buffer, Buffer] | null
    if (!reply) return undefined
    const [gen, firstPos, lastId, data, count, nextId, nextPos, uid] = reply
    const rangeEnd = nextId.length > 0 ? { id: nextId.toString(), pos: Number(nextPos.toString()) } : undefined
    return { uid: uid.toString(), gen: gen.toString(), firstPos: Number(firstPos.toString()), lastId: lastId.toString(), data, count, rangeEnd }
  }

  /** Entries after `afterId` (by id, not by byte offset), up to about `maxBytes`. */
  async readAfter (path: string, afterId: string, maxBytes: number): Promise<FollowPage | undefined> {
    const keys = this.keys.topic(path)
    const reply = await this.run('follow', [keys.stream, keys.meta], [afterId, maxBytes], 'buffer') as [Buffer, Buffer, Buffer, number] | null
    if (!reply) return undefined
    const [uid, lastId, data, count] = reply
    return { uid: uid.toString(), lastId: lastId.toString(), data, count }
  }

  /** What followers wait on: one multiplexed XREAD, or on a Cluster the append notifications. */
  createHub (): Hub {
    return this.cluster
      ? new NotifyHub(this.redis as Cluster, { channel: this.notifyChannel })
      : new FollowHub(this.redis as Redis)
  }

  /** Id of the oldest entry, or undefined for an empty topic. */
  async firstId (path: string): Promise<string | undefined> {
    const [first] = await this.redis.xrange(this.keys.topic(path).stream, '-', '+', 'COUNT', 1)
    return first?.[0]
  }

  /** Deletes every message of the topic; it stays, empty, and later appends go on. */
  async reset (path: string): Promise<void> {
    const keys = this.keys.topic(path)
    await this.run('reset', [keys.stream, keys.meta, keys.index], [])
  }

  /** Deletes a topic and its messages. */
  async remove (path: string): Promise<void> {
    const { parent, name } = splitPath(path)
    const keys = this.keys.topic(path)
    const existed = await this.run('remove', [keys.stream, keys.meta, keys.index], [])
    const listed = await this.redis.hdel(this.keys.directory(parent), name)
    if (existed !== 1 && listed === 0) throw new TopicError('ENOENT', `no topic ${path}`)
  }

  async mkdir (path: string): Promise<void> {
    validateNewPath(path)
    const { parent, name } = splitPath(path)
    await this.requireDirectory(parent)
    if (await this.statTopic(path)) throw new TopicError('EEXIST', `${path} exists`)
    const added = await this.redis.hsetnx(this.keys.directory(parent), name, 'd')
    if (added !== 1) throw new TopicError('EEXIST', `${path} exists`)
  }

  async rmdir (path: string): Promise<void> {
    if (path === ROOT) throw new TopicError('EPERM', 'the root cannot be removed')
    const { parent, name } = splitPath(path)
    const kind = await this.childKind(path)
    if (kind === undefined) throw new TopicError('ENOENT', `no directory ${path}`)
    if (kind !== 'd') throw new TopicError('ENOTDIR', `${path} is a topic`)
    if (await this.redis.hlen(this.keys.directory(path)) > 0) throw new TopicError('ENOTEMPTY', `${path} is not empty`)
    await this.redis.hdel(this.keys.directory(parent), name)
  }

  /** Children of a directory, sorted by name. */
  async list (path: string): Promise<DirectoryEntry[]> {
    await this.requireDirectory(path)
    const children = await this.redis.hgetall(this.keys.directory(path))
    return Object.keys(children).sort().map(name => ({ name, kind: children[name] === 'd' ? 'directory' : 'topic' }))
  }

  /**
   * Renames a topic (replacing a topic at the destination, as rename(2) does). Directories, and
   * topics on a Redis Cluster, answer EXDEV so that `mv` copies instead.
   */
  async rename (from: string, to: string): Promise<void> {
    if (from === to) return
    validateNewPath(to)
    const source = await this.stat(from)
    if (!source) throw new TopicError('ENOENT', `no such path ${from}`)
    const target = await this.stat(to)
    if (source.kind === 'directory') {
      if (target?.kind === 'topic') throw new TopicError('ENOTDIR', `${to} is a topic`)
      if (target?.kind === 'directory' && (await this.list(to)).length > 0) throw new TopicError('ENOTEMPTY', `${to} is not empty`)
      throw new TopicError('EXDEV', 'directories are moved by copying')
    }
    if (target?.kind === 'directory') throw new TopicError('EISDIR', `${to} is a directory`)
    if (this.cluster) throw new TopicError('EXDEV', 'topics on a Redis Cluster are moved by copying')
    const src = splitPath(from)
    const dst = splitPath(to)
    await this.requireDirectory(dst.parent)
    const a = this.keys.topic(from)
    const b = this.keys.topic(to)
    await this.run('rename', [a.stream, a.meta, a.index, b.stream, b.meta, b.index,
      this.keys.directory(src.parent), this.keys.directory(dst.parent)], [src.name, dst.name])
  }

  private async childKind (path: string): Promise<string | undefined> {
    const { parent, name } = splitPath(path)
    return (await this.redis.hget(this.keys.directory(parent), name)) ?? undefined
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
