import type { Stat } from '../fuse/types'
import type { TopicEngine } from '../topics/engine'
import { TopicError } from '../topics/errors'
import { chownChange, MODE_BITS } from '../topics/rules/ownership'
import type { OwnershipChange, TopicStat } from '../topics/types'
import { creatorAt } from './attrs'
import type { Caller } from './caller'
import { changeablePath, isHiddenName, resolve } from './path-rules'
import { VIEW_DIRECTORIES } from './views/views'
import { HELD_KEEP_SECONDS, ShownAttributes, ShownOwner } from './shown-attributes'
import { changeXattr, getXattr, isDnpipesXattr, listXattrs } from './xattrs'

export interface TreeOptions {
  readOnly: boolean
  /**
   * Owner, group and umask shown for entries without stored ownership (made before it was
   * stored), and given to what the daemon makes on its own; the daemon's own uid and gid and
   * 022 when absent (--uid, --gid, --umask).
   */
  shownAs?: Partial<ShownOwner>
  /**
   * How long a lookup's attributes answer the getattr after it (see just-looked-up.ts).
   * @default 1 (FRESH_MS)
   */
  lookupFreshMs?: number
}

const W_OK = 2
const X_OK = 1

/**
 * What a mount shows of the engine's tree and how it changes it: attributes, listings, access,
 * and the namespace operations (mkdir, rename, unlink, truncate, ownership, extended
 * attributes). The open files are the filesystem's (filesystem.ts), told of renames.
 * Paths are FUSE paths ("/team/a").
 */
export abstract class MountedTree {
  protected readonly shown: ShownAttributes

  constructor (readonly engine: TopicEngine, readonly options: TreeOptions) {
    this.shown = new ShownAttributes(options.shownAs, options.readOnly, options.lookupFreshMs)
  }

  /** A topic renamed through this mount: its open files now read and write it under `to`. */
  protected abstract renamed (from: string, to: string): void

  /**
   * stat(2), and the kernel's lookups. A lookup of a name the last readdir listed is answered
   * from that listing, and the getattr right after a lookup from what that lookup read (see
   * shown-attributes.ts); the kernel keeps only what the engine holds (keepHeldAttributes), so
   * any other getattr asks Redis.
   */
  async getattr (fusePath: string, lookup = false): Promise<Stat> {
    const at = resolve(fusePath)
    const stat = this.shown.known(this.engine, at, lookup) ?? await this.shown.fetch(this.engine, at, lookup)
    if (!stat) throw new TopicError('ENOENT', `no such file ${fusePath}`)
    return stat
  }

  /**
   * Lets the kernel keep the attributes the engine holds (HELD_KEEP_SECONDS), telling
   * `changed` of each FUSE path whose attributes change (undefined: of every path), for the
   * kernel to drop them. Without it (or an engine that holds nothing) the kernel keeps none.
   */
  keepHeldAttributes (changed: (fusePath: string | undefined) => void): void {
    if (!this.engine.watchHeld || !this.engine.heldStat) return
    this.engine.watchHeld(path => changed(path === undefined ? undefined : '/' + path))
    this.shown.keepSeconds = HELD_KEEP_SECONDS
  }

  /** Something on this mount is changing: attributes read before it no longer answer. Called as the operation starts. */
  noteChange (): void {
    this.shown.changed()
  }

  /**
   * The getattr answer when it needs no I/O: a topic or directory the engine holds, or a lookup
   * of a name just listed. The kernel asks for directories on every path it resolves with
   * --allow-other, and a scan for every name, so these are answered at once, without a promise.
   * Throws what resolve() refuses.
   */
  knownAttr (fusePath: string, lookup = false): Stat | undefined {
    return this.shown.known(this.engine, resolve(fusePath), lookup)
  }

  /**
   * access(2) as the kernel's own checks would answer it for the mounting user, the only one who
   * gets in when the kernel does not check (no allow_other): executing a topic is refused, and so
   * is writing to a view, except for root.
   */
  async access (fusePath: string, mode: number): Promise<void> {
    const attr = await this.getattr(fusePath)
    if ((mode & X_OK) !== 0 && (attr.mode & 0o111) === 0) throw new TopicError('EACCES', 'topics are not executable')
    if ((mode & W_OK) !== 0 && (attr.mode & 0o222) === 0 && process.getuid?.() !== 0) throw new TopicError('EACCES', 'read-only')
  }

  /**
   * The views list no children, although every topic path resolves below them: recursive tools
   * (find, grep -r, cp -r, du) must never descend into files whose reads block.
   */
  async readdir (fusePath: string): Promise<string[]> {
    const { view, path } = resolve(fusePath)
    if (view !== 'plain') {
      await this.engine.requireDirectory(path)
      return ['.', '..']
    }
    const entries = await this.engine.list(path)
    this.shown.listed.remember(path, entries, Date.now())
    const names = entries.map(entry => entry.name)
    if (path === '') names.unshift(...Object.keys(VIEW_DIRECTORIES))
    return ['.', '..', ...names]
  }

  /**
   * The attributes the kernel may keep of `fusePath`, when the engine holds them (undefined:
   * it does not, or the kernel keeps nothing): a listing hands them to the kernel with the name
   * (READDIRPLUS), which then needs neither a lookup nor a getattr of it.
   */
  heldAttributes (fusePath: string): Stat | undefined {
    try {
      return this.shown.listedWith(this.engine, resolve(fusePath))
    } catch {
      return undefined // a name no path may have: the kernel's lookup gets the refusal
    }
  }

  /** Truncating to 0 resets the topic; a topic cannot be cut elsewhere (EINVAL). */
  async truncate (fusePath: string, size: number): Promise<void> {
    const path = changeablePath(fusePath, this.options.readOnly)
    await this.requireTopic(path)
    if (size !== 0) throw new TopicError('EINVAL', 'a topic can only be truncated to 0 (a reset)')
    await this.engine.reset(path)
  }

  async unlink (fusePath: string): Promise<void> {
    const path = changeablePath(fusePath, this.options.readOnly)
    this.shown.listed.forget(path)
    if (isHiddenName(path)) return
    await this.engine.remove(path)
  }

  async mkdir (fusePath: string, mode = 0o777, caller?: Caller): Promise<void> {
    const path = changeablePath(fusePath, this.options.readOnly)
    this.shown.listed.forget(path)
    await this.engine.mkdir(path, await creatorAt(this.engine, path, mode, caller, true, this.shown.owner))
  }

  async rmdir (fusePath: string): Promise<void> {
    const path = changeablePath(fusePath, this.options.readOnly)
    this.shown.listed.forget(path)
    await this.engine.rmdir(path)
  }

  async rename (fromFusePath: string, toFusePath: string): Promise<void> {
    const from = changeablePath(fromFusePath, this.options.readOnly)
    const to = changeablePath(toFusePath, this.options.readOnly)
    this.shown.listed.forget(from)
    this.shown.listed.forget(to)
    if (isHiddenName(to) && !isHiddenName(from)) return this.engine.remove(from)
    await this.engine.rename(from, to)
    this.renamed(from, to)
  }

  /**
   * chmod, stored with the entry for every host. Who may change what is the kernel's to check
   * (default_permissions, with allow_other); without allow_other only the mounting user gets in.
   */
  async chmod (fusePath: string, mode: number): Promise<void> {
    await this.changeOwnership(fusePath, { mode: mode & MODE_BITS })
  }

  /** chown and chgrp; an id of -1 leaves that one as it is, as chown(2) does. */
  async chown (fusePath: string, uid: number, gid: number): Promise<void> {
    await this.changeOwnership(fusePath, chownChange(uid, gid))
  }

  /**
   * utimens: accepted on anything that exists, so that cp -p, rsync -a and touch work; a topic's
   * mtime stays its newest message's, a directory's its last change's.
   */
  async utimens (fusePath: string): Promise<void> {
    changeablePath(fusePath, this.options.readOnly)
    await this.getattr(fusePath)
  }

  private async changeOwnership (fusePath: string, change: OwnershipChange): Promise<void> {
    const path = changeablePath(fusePath, this.options.readOnly)
    if (change.owner === undefined && change.group === undefined && change.mode === undefined) {
      await this.getattr(fusePath)
      return
    }
    await this.engine.changeOwnership(path, change)
  }

  async listxattr (fusePath: string): Promise<string[]> {
    const { path, group } = resolve(fusePath)
    return listXattrs(this.engine, path, group)
  }

  async getxattr (fusePath: string, name: string): Promise<Buffer | undefined> {
    if (!isDnpipesXattr(name)) return undefined
    const { path, group } = resolve(fusePath)
    return getXattr(this.engine, path, name, group)
  }

  /** Only the retention limits can be set and removed: see xattrs.ts. */
  setxattr (fusePath: string, name: string, value: Buffer): Promise<void> { return changeXattr(this.engine, fusePath, name, value, this.options.readOnly) }
  removexattr (fusePath: string, name: string): Promise<void> { return changeXattr(this.engine, fusePath, name, undefined, this.options.readOnly) }


  protected async requireTopic (path: string): Promise<TopicStat> {
    const stat = await this.engine.stat(path)
    if (!stat) throw new TopicError('ENOENT', `no topic ${path}`)
    if (stat.kind === 'directory') throw new TopicError('EISDIR', `${path} is a directory`)
    return stat
  }
}
