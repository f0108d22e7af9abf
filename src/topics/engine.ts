import type { Message } from '../framing/message'
import type { Claim, Creator, DirectoryEntry, DirectoryStat, FollowPage, GroupInfo, GroupPolicy, OwnershipChange, PathStat, ReadPage, ReadRequest, RetentionChange, Schedule, TopicStat, Woken } from './types'

/**
 * Marks an append so that trying it again does not apply it twice: a mount's server that died
 * may have applied a write whose answer it never sent, and the next server is asked for it again.
 */
export interface WriteToken {
  /** Who writes: one mount, whichever of its servers. */
  writer: string
  /** The writer's number for this write. */
  request: string
  /** The write is being tried again: it may have been applied already. */
  again: boolean
}

/**
 * What the filesystem and the CLI need of a topic store, in paths relative to the mount root
 * ("team-a/orders", "" for the root). Failures are TopicErrors with a POSIX code, or the engine's
 * own failures, which say whether they are transient (errors.ts). Two engines implement it: Redis
 * (redis/redis-engine.ts) and memory (memory/memory-engine.ts); one contract suite
 * (test/helpers/engine-contract.ts, by concern in test/helpers/contract/) runs on both.
 */
export interface TopicEngine {
  /** What is at `path`: a topic with its exact current size, a directory, or undefined. */
  stat (path: string): Promise<PathStat | undefined>
  /**
   * The directory at `path` as the engine holds it between changes (see directory-cache.ts),
   * without I/O; undefined when it holds nothing of `path`. Engines that hold nothing omit it.
   */
  heldDirectory? (path: string): DirectoryStat | undefined
  /**
   * What the engine holds of `path` (a topic's stat or a directory's), without I/O; undefined
   * when nothing. The very object stat() answered, while it is held: the listener of
   * watchHeld() hears of its every change. Engines that hold nothing omit it.
   */
  heldStat? (path: string): PathStat | undefined
  /** Tells `listener` of each path whose held stat is dropped (undefined: of every path at once). */
  watchHeld? (listener: (path: string | undefined) => void): void
  /** The topic at `path`, or undefined (also for a directory). */
  statTopic (path: string): Promise<TopicStat | undefined>
  /** The identity of the topic at `path`, or undefined: all an open for writing needs. */
  topicUid (path: string): Promise<string | undefined>
  /** Resolves when `path` is a directory; ENOENT or ENOTDIR otherwise. */
  requireDirectory (path: string): Promise<void>
  /**
   * Creates an empty topic, owned by `creator` when given; EEXIST when something is at `path`,
   * ENOENT/ENOTDIR for the parent.
   */
  create (path: string, creator?: Creator): Promise<TopicStat>
  /**
   * Appends messages atomically to the topic `uid` (ESTALE when it is gone); returns its new
   * size. With `delayMs` (else the topic's own delay, if any) they are scheduled instead: each
   * enters that much later, in due order, and is in no read, follow or group until then. An
   * append with a `token` that was applied already (for a couple of minutes) changes nothing.
   */
  append (path: string, uid: string, messages: Message[], delayMs?: number, token?: WriteToken): Promise<number>
  /** Whole entries covering bytes from `request.offset`; undefined when the topic is gone. */
  read (path: string, request: ReadRequest): Promise<ReadPage | undefined>
  /** Entries after the id `afterId`, up to about `maxBytes`; undefined when the topic is gone. */
  readAfter (path: string, afterId: string, maxBytes: number): Promise<FollowPage | undefined>
  /**
   * Resolves when an entry after `afterId` may exist (with the entries, when the engine has
   * them at hand), the topic `uid` is gone, or `signal` aborts; also when a scheduled message
   * falls due or is scheduled earlier than `schedule` (from the read that found nothing) says.
   */
  waitForEntries (path: string, afterId: string, uid: string, signal: AbortSignal, schedule?: Schedule): Promise<Woken>
  /** Where the topic `uid`, last seen at `path`, is now (after renames); undefined when it is gone. */
  locate (path: string, uid: string): Promise<string | undefined>
  /** Id of the oldest entry, or undefined for an empty topic. */
  firstId (path: string): Promise<string | undefined>
  /**
   * An id of the server that holds `path` now: it changes when that server restarts or another
   * takes its place, after which entries it had may be gone.
   */
  serverId (path: string): Promise<string>
  /** The name other clients know the topic by (its stream's key). */
  keyOf (path: string): string
  /**
   * Sets (a number) or lifts (null) the topic's own retention limits, then trims it to what
   * applies; ENOENT without a topic, EISDIR for a directory.
   */
  retain (path: string, change: RetentionChange): Promise<void>
  /** Sets (ms) or lifts (null) the delay of every message pushed to the topic; ENOENT without a topic, EISDIR for a directory. */
  setDelay (path: string, delayMs: number | null): Promise<void>
  /** Deletes every message, the scheduled ones too; the topic stays and later appends go on. ENOENT without a topic. */
  reset (path: string): Promise<void>
  /** Deletes a topic and its messages; ENOENT when there is none, EISDIR for a directory. */
  remove (path: string): Promise<void>
  /** Creates a directory, owned by `creator` when given; EEXIST when something is at `path`. */
  mkdir (path: string, creator?: Creator): Promise<void>
  /** chmod, chown, chgrp of a topic or directory (the root too); ENOENT when nothing is there. */
  changeOwnership (path: string, change: OwnershipChange): Promise<void>
  /** Removes an empty directory (ENOTEMPTY, ENOTDIR, ENOENT, EPERM for the root). */
  rmdir (path: string): Promise<void>
  /** Children of a directory, sorted by name. */
  list (path: string): Promise<DirectoryEntry[]>
  /** Renames a topic, replacing one at `to`; EXDEV where the engine cannot move it atomically. */
  rename (from: string, to: string): Promise<void>
  /**
   * Hands `consumer` the next message of consumer group `group` of the topic (made at its first
   * message when new): one another consumer left unacknowledged for `policy.visibilityMs` first,
   * else the next new one, with up to `ahead` more new ones (Claim's `ahead`) when it is a new
   * one. `done`, the ids of messages the consumer finished, are acknowledged in the same step.
   * Undefined when the topic is gone (nothing is acknowledged then).
   */
  claim (path: string, group: string, consumer: string, policy: GroupPolicy, done?: readonly string[], ahead?: number): Promise<Claim | undefined>
  /** Acknowledges the messages `ids` for `group`: they are never handed out again. */
  acknowledge (path: string, group: string, ...ids: string[]): Promise<void>
  /**
   * Keeps message `id`, the `deliveries`th delivery of it to `consumer`, from going to another
   * consumer for another visibility timeout, or for that less `idleMs`: its idle time is set to
   * `idleMs` (default 0). False when it is no longer that consumer's.
   */
  holdClaim (path: string, group: string, consumer: string, id: string, deliveries: number, idleMs?: number): Promise<boolean>
  /**
   * Messages `consumer` claimed ahead and never handed to a reader are claimable by any consumer
   * at once, their delivery not counted; those no longer its first delivery are left alone.
   * Resolves to how many were given back.
   */
  giveBack (path: string, group: string, consumer: string, policy: GroupPolicy, ids: readonly string[]): Promise<number>
  /** Forgets `consumer` in `group` when it holds no message. */
  leaveGroup (path: string, group: string, consumer: string): Promise<void>
  /**
   * Removes what crashed mounts and workers left in `group`: the consumers dnpipes names
   * (consumer-names.ts: isOurConsumer), other than `self`, that hold no message and have been
   * idle for more than `idleMs`; other clients' consumers stay. Returns how many went (0
   * without the topic or the group).
   */
  sweepConsumers (path: string, group: string, idleMs: number, self: string): Promise<number>
  /** The consumer groups of the topic; undefined when there is no topic at `path`. */
  groups (path: string): Promise<GroupInfo[] | undefined>
  /** Ends every wait and lets go of what the engine holds of its own. */
  close (): void
}
