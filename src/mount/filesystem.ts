import { mountLog } from '../log'
import type { Stat } from '../fuse/types'
import type { Framing } from '../framing/message'
import type { OTruncMode } from '../options'
import type { TopicEngine } from '../topics/engine'
import { TopicError } from '../topics/errors'
import { chownChange, MODE_BITS } from '../topics/rules/ownership'
import type { OwnershipChange, TopicStat } from '../topics/types'
import { creatorAt } from './attrs'
import type { Caller } from './caller'
import { Followers } from './views/followers'
import type { GroupFiles } from './views/group-files'
import { FileJournal, Handle, Handles } from './handles'
import { OpenFile } from './open-file'
import { PushesOnce } from './pushes-once'
import { changeablePath, changedSinceLookup, isHiddenName, pushTarget, requireWritable, resolve } from './path-rules'
import { VIEW_DIRECTORIES } from './views/views'
import { HELD_KEEP_SECONDS, ShownAttributes, ShownOwner } from './shown-attributes'
import { reopen } from './reopen'
import { delayedTarget, openView, readView } from './views/view-files'
import type { FileState } from '../restart/records'
import { changeXattr, getXattr, isDnpipesXattr, listXattrs } from './xattrs'

export interface FilesystemOptions {
  framing: Framing
  otrunc: OTruncMode
  readOnly: boolean
  /**
   * Owner, group and umask shown for entries without stored ownership (made before it was
   * stored), and given to what the daemon makes on its own; the daemon's own uid and gid and
   * 022 when absent (--uid, --gid, --umask).
   */
  shownAs?: Partial<ShownOwner>
  /** Told how many messages were pushed and fetched, for metrics. */
  onMessages?: (direction: 'pushed' | 'read', count: number) => void
  /** How `.group/` readers take messages (see group-files.ts); none without. */
  groups?: GroupFiles
  /**
   * How long a lookup's attributes answer the getattr after it (see just-looked-up.ts).
   * @default 1 (FRESH_MS)
   */
  lookupFreshMs?: number
  /** Told of open files as they change, for the next server (see restart/). */
  journal?: FileJournal
  /** Handles start after this one, apart from those of the servers before. @default 0 */
  firstHandle?: number
  /**
   * Who this mount is to Redis when it writes: with it, every push carries a token (the kernel's
   * number for the request), and a write asked for again after a server died is applied once.
   */
  writer?: string
}

const O_ACCMODE = 0o3
const O_RDONLY = 0
const O_WRONLY = 1
const O_TRUNC = 0o1000
const W_OK = 2
const X_OK = 1

/**
 * The file semantics of dnpipes over a topic engine: open files, appends, replays, resets.
 * Paths are FUSE paths ("/team/a"); results are plain values; failures are TopicErrors or the
 * typed Redis failures that src/mount/errno.ts maps.
 */
export class DnpipesFilesystem {
  private readonly handles: Handles
  private readonly pushes: PushesOnce
  readonly followers = new Followers()
  private readonly shown: ShownAttributes

  constructor (readonly engine: TopicEngine, readonly options: FilesystemOptions) {
    this.shown = new ShownAttributes(options.shownAs, options.readOnly, options.lookupFreshMs)
    this.handles = new Handles(options.firstHandle, options.journal)
    this.pushes = new PushesOnce(options.writer, options.journal)
  }

  /**
   * Opens again, under the same handles, the files another server had open on this connection.
   * Nothing is asked of Redis: a topic that is gone meanwhile shows when the file is used.
   */
  adoptFiles (files: ReadonlyMap<number, FileState>): void {
    const context = { engine: this.engine, options: this.options, openFile: this.openFile.bind(this) }
    for (const [handle, state] of files) {
      try {
        this.handles.adopt(handle, reopen(state, context))
      } catch (err) {
        // Not the end of the server (the next would fail the same way): that file answers EBADF.
        mountLog('cannot take over open file %d (%s): %s', handle, state.path, (err as Error).message)
      }
    }
  }

  /** Every open file, as the next server opens it again. */
  fileStates (): Map<number, FileState> {
    return this.handles.states()
  }

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

  async open (fusePath: string, flags: number): Promise<number> {
    const at = resolve(fusePath)
    const { path } = at
    const writable = (flags & O_ACCMODE) !== O_RDONLY
    if (at.view === 'delay') {
      const target = await delayedTarget(this.engine, fusePath, (flags & O_ACCMODE) === O_WRONLY, this.options.readOnly)
      return this.handles.add(this.openFile(target.path, target.uid, true, target.delayMs))
    }
    if (at.view !== 'plain') return this.handles.add(await openView(this.engine, at, writable, this.options))
    if (writable) requireWritable(this.options.readOnly)
    // A writer needs only the topic's identity: appends account other clients' entries
    // themselves. A reader gets them accounted now, so that its first read at an offset is exact.
    const uid = (flags & O_ACCMODE) === O_WRONLY ? await this.engine.topicUid(path) : (await this.engine.statTopic(path))?.uid
    if (!uid) throw changedSinceLookup(path)
    if (writable && (flags & O_TRUNC) !== 0 && this.options.otrunc === 'reset') await this.engine.reset(path)
    return this.handles.add(this.openFile(path, uid, writable))
  }

  /**
   * A new topic, owned by `caller` (the process that made the request) with `mode` less its
   * umask; made through `.delay/S/`, the file open is that view's.
   */
  async create (fusePath: string, mode = 0o666, caller?: Caller): Promise<number> {
    const { path, delayMs } = pushTarget(fusePath, this.options.readOnly)
    this.shown.listed.forget(path)
    let stat: TopicStat
    try {
      stat = await this.engine.create(path, await creatorAt(this.engine, path, mode, caller, false, this.shown.owner))
    } catch (err) {
      // Another host created it between the kernel's lookup and this create: open it.
      if (!(err instanceof TopicError && err.code === 'EEXIST')) throw err
      stat = await this.requireTopic(path)
    }
    return this.handles.add(this.openFile(path, stat.uid, true, delayMs))
  }

  /** `caller` matters to `.group/` files (see readView). */
  async read (fusePath: string, handle: number, length: number, offset: number, caller?: Caller): Promise<Buffer> {
    const file = this.handles.get(handle)
    if (!file) throw new TopicError('EBADF', `no open file ${handle}`)
    if (file.kind !== 'plain') return readView(file, this.followers, fusePath, length, offset, caller)
    this.track(file, fusePath)
    return file.cursor.read(offset, length)
  }

  /** Whether reads of this handle may block (and so must not have a deadline). */
  isFollowing (handle: number): boolean {
    return this.handles.isFollowing(handle)
  }

  /** Whether the handle is a `.group/` file, whose reads and closes need their caller. */
  readsForGroup (handle: number): boolean { return this.handles.get(handle)?.kind === 'group' }

  /**
   * Before an unmount: every blocked follower gets end of file, no read blocks again, and the
   * engine's waits end; returns once the followers closed their files (or after a grace period).
   */
  async releaseFollowers (graceMs?: number): Promise<void> {
    const released = this.followers.release(() => this.handles.followers, graceMs)
    const acknowledged = this.options.groups?.close()
    this.engine.close()
    await Promise.all([released, acknowledged])
  }

  /**
   * Returns once every complete message in `data` is in Redis. Offsets are ignored: appends.
   * `unique` is the kernel's number for the request (see PushesOnce).
   */
  async write (fusePath: string, handle: number, data: Buffer, unique?: bigint): Promise<number> {
    const file = this.track(this.handles.plain(handle), fusePath)
    if (!file.writable) throw new TopicError('EBADF', 'the file is not open for writing')
    await this.pushes.write(handle, file, data, unique)
    return data.length
  }

  /** close(2); `caller` is who closed (see GroupFile.flush), and its request's number (see write). */
  async flush (fusePath: string, handle: number, caller?: Caller): Promise<void> {
    const file = this.handles.get(handle)
    if (!file || file.kind === 'follow') return
    if (file.kind === 'group') return file.flush(caller?.tid)
    await this.pushes.pushHeld(handle, this.track(file, fusePath), caller?.unique)
  }

  /** The last close of an open file; `unique` is the request's number (see write). */
  async release (fusePath: string, handle: number, unique?: bigint): Promise<void> {
    const file = this.handles.take(handle)
    try {
      if (!file || file.kind === 'follow') return
      if (file.kind === 'group') return await (this.options.groups ? this.options.groups.release(file) : file.release())
      await this.pushes.pushHeld(handle, this.track(file, fusePath), unique)
    } finally {
      // Only now: a server that dies before must be able to push what the file held.
      if (file) this.handles.closed(handle)
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
    this.handles.renamed(from, to)
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

  private openFile (path: string, uid: string, writable: boolean, delayMs?: number): OpenFile {
    return new OpenFile(this.engine, path, uid, writable, this.options.framing, this.options.onMessages, delayMs)
  }

  /** FUSE hands every operation the file's path of today: a renamed file goes on under it. */
  private track<T extends Extract<Handle, { kind: 'plain' }>> (file: T, fusePath: string): T {
    file.path = resolve(fusePath).path
    return file
  }

  private async requireTopic (path: string): Promise<TopicStat> {
    const stat = await this.engine.stat(path)
    if (!stat) throw new TopicError('ENOENT', `no topic ${path}`)
    if (stat.kind === 'directory') throw new TopicError('EISDIR', `${path} is a directory`)
    return stat
  }
}
