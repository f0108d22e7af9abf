import { mountLog } from '../log'
import type { Framing } from '../framing/message'
import type { OTruncMode } from '../options'
import type { TopicEngine } from '../topics/engine'
import { TopicError } from '../topics/errors'
import type { TopicStat } from '../topics/types'
import { creatorAt } from './attrs'
import type { Caller } from './caller'
import { Followers } from './views/followers'
import type { GroupFiles } from './views/group-files'
import { FileJournal, Handle, Handles } from './handles'
import { MountedTree, TreeOptions } from './mounted-tree'
import { OpenFile } from './open-file'
import { PushesOnce } from './pushes-once'
import { changedSinceLookup, pushTarget, requireWritable, resolve } from './path-rules'
import { reopen } from './reopen'
import { delayedTarget, openView, readView } from './views/view-files'
import type { FileState } from '../restart/records'

export interface FilesystemOptions extends TreeOptions {
  framing: Framing
  otrunc: OTruncMode
  /** Told how many messages were pushed and fetched, for metrics. */
  onMessages?: (direction: 'pushed' | 'read', count: number) => void
  /** How `.group/` readers take messages (see group-files.ts); none without. */
  groups?: GroupFiles
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

/**
 * The file semantics of dnpipes over a topic engine: open files, appends, replays, resets;
 * the tree's attributes and namespace operations are MountedTree's. Paths are FUSE paths
 * ("/team/a"); results are plain values; failures are TopicErrors or the typed Redis failures
 * that src/mount/errno.ts maps.
 */
export class DnpipesFilesystem extends MountedTree {
  private readonly handles: Handles
  private readonly pushes: PushesOnce
  readonly followers = new Followers()

  constructor (engine: TopicEngine, override readonly options: FilesystemOptions) {
    super(engine, options)
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

  private openFile (path: string, uid: string, writable: boolean, delayMs?: number): OpenFile {
    return new OpenFile(this.engine, path, uid, writable, this.options.framing, this.options.onMessages, delayMs)
  }

  /** FUSE hands every operation the file's path of today: a renamed file goes on under it. */
  private track<T extends Extract<Handle, { kind: 'plain' }>> (file: T, fusePath: string): T {
    file.path = resolve(fusePath).path
    return file
  }

  protected renamed (from: string, to: string): void {
    this.handles.renamed(from, to)
  }
}
