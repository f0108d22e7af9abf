import type { Message } from '../framing/message'
import type { TopicEngine, WriteToken } from './engine'
import { TopicError } from './errors'
import { fromFusePath, joinPath, RESERVED_ROOT_NAMES, validateNewPath } from './paths'
import { makeDirectories } from './tree'
import type { Claim, Creator, DirectoryEntry, DirectoryStat, FollowPage, GroupInfo, GroupPolicy, OwnershipChange, PathStat, ReadPage, ReadRequest, RetentionChange, Schedule, TopicStat, Woken } from './types'

/**
 * The directory `root` of another engine's store, served as a store of its own: every path is
 * taken relative to `root` ("" is `root` itself), so a mount of it (`--root team/a`) shows
 * team/a's topics at its top, and its views (.follow/, .group/, …) follow them. Nothing above
 * `root` can be named: paths come from the FUSE layer, whose `..` the kernel resolves within
 * the mount. The objects the inner engine answers pass through as they are (heldStat promises
 * the very object stat() answered).
 */
export class RootedEngine implements TopicEngine {
  readonly heldDirectory?: (path: string) => DirectoryStat | undefined
  readonly heldStat?: (path: string) => PathStat | undefined
  readonly watchHeld?: (listener: (path: string | undefined) => void) => void

  constructor (private readonly inner: TopicEngine, readonly root: string) {
    validateRoot(root)
    const { heldDirectory, heldStat, watchHeld } = inner
    if (heldDirectory) this.heldDirectory = path => heldDirectory.call(inner, this.at(path))
    if (heldStat) this.heldStat = path => heldStat.call(inner, this.at(path))
    if (watchHeld) {
      this.watchHeld = listener => watchHeld.call(inner, path => {
        if (path === undefined) return listener(undefined)
        const inside = this.within(path)
        if (inside !== undefined) listener(inside)
      })
    }
  }

  /** The inner engine's path of this engine's `path`. */
  at (path: string): string {
    return path === '' ? this.root : joinPath(this.root, path)
  }

  /** This engine's path of the inner engine's `path`; undefined when it is not under the root. */
  within (path: string): string | undefined {
    if (path === this.root) return ''
    return path.startsWith(this.root + '/') ? path.slice(this.root.length + 1) : undefined
  }

  stat (path: string): Promise<PathStat | undefined> { return this.inner.stat(this.at(path)) }
  statTopic (path: string): Promise<TopicStat | undefined> { return this.inner.statTopic(this.at(path)) }
  topicUid (path: string): Promise<string | undefined> { return this.inner.topicUid(this.at(path)) }
  requireDirectory (path: string): Promise<void> { return this.inner.requireDirectory(this.at(path)) }
  async create (path: string, creator?: Creator): Promise<TopicStat> {
    return await this.inner.create(this.at(this.newPath(path)), creator)
  }

  append (path: string, uid: string, messages: Message[], delayMs?: number, token?: WriteToken): Promise<number> {
    return this.inner.append(this.at(path), uid, messages, delayMs, token)
  }

  read (path: string, request: ReadRequest): Promise<ReadPage | undefined> { return this.inner.read(this.at(path), request) }
  readAfter (path: string, afterId: string, maxBytes: number): Promise<FollowPage | undefined> {
    return this.inner.readAfter(this.at(path), afterId, maxBytes)
  }

  waitForEntries (path: string, afterId: string, uid: string, signal: AbortSignal, schedule?: Schedule): Promise<Woken> {
    return this.inner.waitForEntries(this.at(path), afterId, uid, signal, schedule)
  }

  /** A topic renamed out of the root (by a mount of the whole store) is gone from here. */
  async locate (path: string, uid: string): Promise<string | undefined> {
    const now = await this.inner.locate(this.at(path), uid)
    return now === undefined ? undefined : this.within(now)
  }

  firstId (path: string): Promise<string | undefined> { return this.inner.firstId(this.at(path)) }
  serverId (path: string): Promise<string> { return this.inner.serverId(this.at(path)) }
  keyOf (path: string): string { return this.inner.keyOf(this.at(path)) }
  retain (path: string, change: RetentionChange): Promise<void> { return this.inner.retain(this.at(path), change) }
  setDelay (path: string, delayMs: number | null): Promise<void> { return this.inner.setDelay(this.at(path), delayMs) }
  reset (path: string): Promise<void> { return this.inner.reset(this.at(path)) }
  remove (path: string): Promise<void> { return this.inner.remove(this.at(path)) }
  async mkdir (path: string, creator?: Creator): Promise<void> { return await this.inner.mkdir(this.at(this.newPath(path)), creator) }
  changeOwnership (path: string, change: OwnershipChange): Promise<void> { return this.inner.changeOwnership(this.at(path), change) }

  async rmdir (path: string): Promise<void> {
    if (path === '') throw new TopicError('EPERM', 'the root cannot be removed')
    return await this.inner.rmdir(this.at(path))
  }

  /** The root's own entries named as this engine's views (made through a mount of the whole store) stay hidden behind them. */
  async list (path: string): Promise<DirectoryEntry[]> {
    const entries = await this.inner.list(this.at(path))
    return path === '' ? entries.filter(entry => !RESERVED_ROOT_NAMES.has(entry.name)) : entries
  }

  async rename (from: string, to: string): Promise<void> { return await this.inner.rename(this.at(from), this.at(this.newPath(to))) }

  claim (path: string, group: string, consumer: string, policy: GroupPolicy, done?: readonly string[], ahead?: number): Promise<Claim | undefined> {
    return this.inner.claim(this.at(path), group, consumer, policy, done, ahead)
  }

  acknowledge (path: string, group: string, ...ids: string[]): Promise<void> { return this.inner.acknowledge(this.at(path), group, ...ids) }
  holdClaim (path: string, group: string, consumer: string, id: string, deliveries: number, idleMs?: number): Promise<boolean> {
    return this.inner.holdClaim(this.at(path), group, consumer, id, deliveries, idleMs)
  }

  giveBack (path: string, group: string, consumer: string, policy: GroupPolicy, ids: readonly string[]): Promise<number> {
    return this.inner.giveBack(this.at(path), group, consumer, policy, ids)
  }

  leaveGroup (path: string, group: string, consumer: string): Promise<void> { return this.inner.leaveGroup(this.at(path), group, consumer) }
  sweepConsumers (path: string, group: string, idleMs: number, self: string): Promise<number> {
    return this.inner.sweepConsumers(this.at(path), group, idleMs, self)
  }

  groups (path: string): Promise<GroupInfo[] | undefined> { return this.inner.groups(this.at(path)) }
  close (): void { this.inner.close() }

  /** A name made here is checked as this engine's (the views' names are reserved at its root), then as the inner one's. */
  private newPath (path: string): string {
    validateNewPath(path)
    return path
  }
}

/** A root is a path of the store: no empty, `.` or `..` component, and not one of the views. */
export function validateRoot (root: string): void {
  try {
    validateNewPath(root)
  } catch (err) {
    throw new TopicError('EINVAL', `${JSON.stringify(root)} cannot be a root: ${(err as Error).message}`)
  }
}

/**
 * `inner`'s directory `root` ("/team/a/" as well as "team/a") as an engine of its own, made
 * (as mkdir -p) when missing unless `readOnly`: then it must exist.
 */
export async function openRoot (inner: TopicEngine, root: string, readOnly: boolean): Promise<RootedEngine> {
  const path = fromFusePath(root)
  validateRoot(path)
  if (readOnly) await inner.requireDirectory(path)
  else await makeDirectories(inner, path)
  return new RootedEngine(inner, path)
}
