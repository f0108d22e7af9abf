import type { Cluster, Redis } from 'ioredis'
import { Message } from '../../framing/message'
import { withDefaults } from '../../options'
import { commandTimeoutOf, RedisClient } from '../../redis/connect'
import { RedisUnavailableError } from '../../redis/errors'
import type { TopicEngine, WriteToken } from '../engine'
import { TopicError } from '../errors'
import { UnreconciledError } from './failures'
import { DirectoryWatch } from './directory-watch'
import { RedisEngineOptions, STORE_DEFAULTS } from './engine-options'
import { FollowHub } from './follow/follow-hub'
import { NotifyHub } from './follow/notify-hub'
import type { Hub } from './follow/waiter-set'
import { KeyspaceHub } from './follow/keyspace-hub'
import { GroupStore } from './group-store'
import { slotMaster } from './key-slot'
import { KeyLayout } from './keys'
import { Lookup } from './lookup'
import { Namespace } from './namespace'
import { isRangeEnd, RangedPages, RangeEnd } from './pages/ranged-pages'
import { retentionArgs, retentionChangeArgs } from '../rules/retention'
import { ScriptRunner } from './script-runner'
import { untilDue } from '../schedule'
import { scheduleOf } from './schedule-replies'
import { Appends } from './appends'
import { HeldStats } from './held-stats'
import { TrackedStats } from './tracked-stats'
import type { Claim, Creator, DirectoryEntry, DirectoryStat, FollowPage, GroupInfo, GroupPolicy, OwnershipChange, PathStat, ReadPage, ReadRequest, RetentionChange, Schedule, TopicStat, Woken } from '../types'

/** How often a Cluster's followers poll for entries other clients added (NotifyHub). */
const NOTIFY_POLL_MS = 250
/** Script calls one retain makes at most: TRIM_MAX entries each, enough for 100 million. */
const MAX_TRIM_ROUNDS = 10_000

/**
 * The Redis engine: topics as streams (keys.ts lists every key), in terms of paths relative to
 * the mount root ("team-a/orders"). Names live in namespace.ts, lookups in lookup.ts; this
 * module holds the data: appends (with WAIT), reads, follows and resets. Knows nothing about FUSE.
 */
export class RedisEngine implements TopicEngine {
  readonly keys: KeyLayout
  readonly cluster: boolean
  private readonly options: RedisEngineOptions
  private readonly runner: ScriptRunner
  private readonly lookup: Lookup
  private readonly namespace: Namespace
  private readonly groupStore: GroupStore
  /** On a Cluster, appends announce their stream here for followers (see NotifyHub). */
  private readonly notifyChannel: string
  private readonly ranged: RangedPages | undefined
  private readonly directories: DirectoryWatch | undefined
  private readonly held: HeldStats | undefined
  private readonly appends: Appends
  private hub: Hub | undefined
  /** The default retention as the scripts take it. */
  private readonly retentionArgs: string[]

  constructor (readonly redis: RedisClient, options: Partial<RedisEngineOptions> = {}) {
    this.options = withDefaults(STORE_DEFAULTS, options)
    this.keys = new KeyLayout(this.options.prefix)
    this.cluster = this.options.cluster
    this.notifyChannel = this.cluster && !this.options.keyspaceEvents ? this.keys.prefix + 'notify' : ''
    this.runner = new ScriptRunner(redis)
    this.directories = this.options.holdDirectories && !this.cluster ? new DirectoryWatch(redis as Redis, this.keys.directoriesChannel()) : undefined
    this.retentionArgs = retentionArgs(this.options.defaultRetention)
    const tracked = this.options.holdTopics && !this.cluster ? new TrackedStats(redis as Redis) : undefined
    this.lookup = new Lookup(this.runner, this.keys, this.options.indexEvery, this.cluster, this.options.defaultRetention, this.directories?.cache, tracked)
    this.groupStore = new GroupStore(this.runner, this.options.indexEvery)
    this.namespace = new Namespace(this.runner, this.keys, this.lookup, this.cluster, this.directories)
    this.held = tracked ? new HeldStats(tracked, this.runner, this.lookup, this.namespace, this.keys) : undefined
    this.appends = new Appends(redis, this.runner, this.keys, this.lookup, this.held, {
      indexEvery: this.options.indexEvery,
      notifyChannel: this.notifyChannel,
      retentionArgs: this.retentionArgs,
      waitReplicas: this.options.waitReplicas,
      waitTimeoutMs: this.options.waitTimeoutMs,
      cluster: this.cluster
    })
    this.ranged = this.options.rangedPageBytes > 0
      ? new RangedPages(redis, this.cluster, this.options.rangedPageBytes, commandTimeoutOf(redis), this.options.onReplyBytes)
      : undefined
  }

  /** Ends every wait and closes the connections of its own (the client passed in stays the caller's). */
  close (): void {
    this.hub?.close()
    this.hub = undefined
    this.ranged?.close()
    this.directories?.close()
    this.held?.close()
  }

  /** Loads the scripts into Redis ahead of the first operation (see ScriptRunner.preload). */
  preload (): Promise<void> {
    return this.runner.preload()
  }

  /** Why replays cannot page with plain XRANGE (they then go through the read script); undefined when they can. */
  async pageProblem (): Promise<string | undefined> {
    if (!this.ranged) return 'turned off'
    return await this.ranged.problem(this.keys.topic('.dnpipes-doctor'))
  }

  stat (path: string): Promise<PathStat | undefined> { return this.lookup.stat(path) }
  heldDirectory (path: string): DirectoryStat | undefined { return this.directories?.cache.get(path) }
  heldStat (path: string): PathStat | undefined { return this.directories?.cache.get(path) ?? this.held?.held(path) }

  watchHeld (listener: (path: string | undefined) => void): void {
    if (this.directories) this.directories.cache.onDropped = listener
    this.held?.watch(listener)
  }

  statTopic (path: string): Promise<TopicStat | undefined> { return this.lookup.statTopic(path) }
  topicUid (path: string): Promise<string | undefined> { return this.lookup.topicUid(path) }
  requireDirectory (path: string): Promise<void> { return this.lookup.requireDirectory(path) }
  create (path: string, creator?: Creator): Promise<TopicStat> { return this.namespace.create(path, creator) }
  async remove (path: string): Promise<void> {
    await this.namespace.remove(path)
    this.hub?.gone(this.keys.topic(path).stream)
  }
  mkdir (path: string, creator?: Creator): Promise<void> { return this.namespace.mkdir(path, creator) }
  changeOwnership (path: string, change: OwnershipChange): Promise<void> { return this.namespace.changeOwnership(path, change) }
  rmdir (path: string): Promise<void> { return this.namespace.rmdir(path) }
  async list (path: string): Promise<DirectoryEntry[]> {
    const entries = await this.namespace.list(path)
    this.held?.listed(path, entries)
    return entries
  }
  locate (path: string, uid: string): Promise<string | undefined> { return this.namespace.locate(path, uid) }
  claim (path: string, group: string, consumer: string, policy: GroupPolicy, done?: readonly string[], ahead?: number): Promise<Claim | undefined> { return this.groupStore.claim(this.keys.topic(path), group, consumer, policy, done, ahead) }
  acknowledge (path: string, group: string, ...ids: string[]): Promise<void> { return this.groupStore.acknowledge(this.keys.topic(path), group, ids) }
  holdClaim (path: string, group: string, consumer: string, id: string, deliveries: number, idleMs = 0): Promise<boolean> { return this.groupStore.hold(this.keys.topic(path), group, consumer, id, deliveries, idleMs) }
  giveBack (path: string, group: string, consumer: string, policy: GroupPolicy, ids: readonly string[]): Promise<number> { return this.groupStore.giveBack(this.keys.topic(path), group, consumer, policy, ids) }
  leaveGroup (path: string, group: string, consumer: string): Promise<void> { return this.groupStore.leave(this.keys.topic(path), group, consumer) }
  sweepConsumers (path: string, group: string, idleMs: number, self: string): Promise<number> { return this.groupStore.sweep(this.keys.topic(path), group, idleMs, self) }

  async groups (path: string): Promise<GroupInfo[] | undefined> {
    if (!await this.lookup.topicUid(path)) return undefined
    return await this.groupStore.list(this.keys.topic(path))
  }

  async rename (from: string, to: string): Promise<void> {
    await this.namespace.rename(from, to)
    this.hub?.gone(this.keys.topic(from).stream)
  }

  async serverId (path: string): Promise<string> {
    const node = this.cluster ? slotMaster(this.redis as Cluster, this.keys.topic(path).stream) : this.redis as Redis
    if (!node) throw new RedisUnavailableError(`no master known for the slot of ${path}`)
    const info = await this.runner.command(() => node.info('server'))
    return /^run_id:(\w+)/m.exec(info)?.[1] ?? ''
  }

  keyOf (path: string): string {
    return this.keys.topic(path).stream
  }

  /**
   * Appends messages in one atomic step, so messages from concurrent writers never interleave
   * inside one call. Resolves once Redis has applied them.
   */
  append (path: string, uid: string, messages: Message[], delayMs?: number, token?: WriteToken): Promise<number> {
    return this.appends.append(path, uid, messages, delayMs, token)
  }

  /** Entries covering bytes from `offset`, continuing cheaply after the caller's last entry. */
  async read (path: string, request: ReadRequest): Promise<ReadPage | undefined> {
    const keys = this.keys.topic(path)
    const end = request.hint
    if (this.ranged && isRangeEnd(end) && request.base !== undefined && request.afterId !== '' && request.offset === request.afterPos && end.pos > request.afterPos) {
      const page = await this.ranged.read(keys, { gen: request.gen, base: request.base, afterId: request.afterId, afterPos: request.afterPos, end })
      if (page) return page
    }
    const reply = await this.runner.run('read', [keys.stream, keys.meta, keys.index, keys.delayed], [
      request.gen, request.offset, request.afterId, request.afterPos, request.maxBytes, this.options.indexEvery, this.options.rangedPageBytes,
      request.base ?? ''
    ], 'buffer') as [Buffer, Buffer, Buffer, Buffer, number, Buffer, Buffer, Buffer, Buffer] | null
    if (!reply) return undefined
    const [gen, firstPos, lastId, data, count, nextId, nextPos, uid, base] = reply
    const hint: RangeEnd | undefined = nextId.length > 0 ? { id: nextId.toString(), pos: Number(nextPos.toString()) } : undefined
    return { uid: uid.toString(), gen: gen.toString(), base: Number(base.toString()), firstPos: Number(firstPos.toString()), lastId: lastId.toString(), data, count, hint }
  }

  /** Entries after `afterId` (by id, not by byte offset), up to about `maxBytes`. */
  async readAfter (path: string, afterId: string, maxBytes: number): Promise<FollowPage | undefined> {
    const keys = this.keys.topic(path)
    const reply = await this.runner.run('follow', [keys.stream, keys.meta, keys.index, keys.delayed, keys.due], [afterId, maxBytes, this.options.indexEvery], 'buffer') as [Buffer, Buffer, Buffer, number, Buffer?, Buffer?] | null
    if (!reply) return undefined
    const [uid, lastId, data, count, dueIn, announced] = reply
    const page: FollowPage = { uid: uid.toString(), lastId: lastId.toString(), data, count }
    if (announced) page.schedule = scheduleOf(dueIn, announced)
    return page
  }

  /**
   * Waits on one multiplexed XREAD (follow-hub.ts), or on a Cluster on keyspace notifications
   * (keyspace-hub.ts), or failing those on the appends' announcements and a poll.
   */
  waitForEntries (path: string, afterId: string, uid: string, signal: AbortSignal, schedule?: Schedule): Promise<Woken> {
    this.hub ??= !this.cluster
      ? new FollowHub(this.redis as Redis)
      : this.options.keyspaceEvents
        ? new KeyspaceHub(this.redis as Cluster)
        : new NotifyHub(this.redis as Cluster, { channel: this.notifyChannel, pollMs: NOTIFY_POLL_MS })
    return untilDue(schedule?.dueInMs, signal, woken => this.hub!.wait(this.keys.topic(path), afterId, uid, woken, schedule?.announced))
  }

  async setDelay (path: string, delayMs: number | null): Promise<void> {
    await this.runner.run('delay', [this.keys.topic(path).meta], [delayMs === null ? '-' : Math.round(delayMs)])
      .catch(async err => { throw await this.directoryFailure(path, err) })
  }

  /** A script's ENOENT for a setting of a topic is EISDIR where a directory stands at `path`. */
  private async directoryFailure (path: string, err: unknown): Promise<unknown> {
    const isDirectory = err instanceof TopicError && err.code === 'ENOENT' && (await this.lookup.stat(path))?.kind === 'directory'
    return isDirectory ? new TopicError('EISDIR', `${path} is a directory`) : err
  }

  async firstId (path: string): Promise<string | undefined> {
    const [first] = await this.runner.command(redis => redis.xrange(this.keys.topic(path).stream, '-', '+', 'COUNT', 1))
    return first?.[0]
  }

  /**
   * Sets or lifts the topic's retention limits, then trims it to them (a few script calls for a
   * long topic, each bounded: see helpers.lua TRIM_MAX).
   */
  async retain (path: string, change: RetentionChange): Promise<void> {
    const keys = this.keys.topic(path)
    let args = [...retentionChangeArgs(change), ...this.retentionArgs]
    for (let round = 0; ; round++) {
      try {
        if (await this.runner.run('retain', [keys.stream, keys.meta, keys.index], args) === 1) return
        args = ['', '', '', ...this.retentionArgs]
      } catch (caught) {
        const err = await this.directoryFailure(path, caught)
        if (round < MAX_TRIM_ROUNDS && err instanceof UnreconciledError) {
          await this.lookup.reconcile(keys)
          args = ['', '', '', ...this.retentionArgs]
          continue
        }
        throw err
      }
      if (round >= MAX_TRIM_ROUNDS) throw new TopicError('EIO', `could not trim ${path} to its limits`)
    }
  }

  async reset (path: string): Promise<void> {
    const keys = this.keys.topic(path)
    await this.runner.run('reset', [keys.stream, keys.meta, keys.index, keys.delayed], [])
  }
}
