import type Fuse from 'fuse-native'
import { Framing } from '../framing/message'
import { fuseLog } from '../log'
import { TopicError } from '../topics/errors'
import { FollowCursor } from '../topics/follow-cursor'
import { Hub } from '../topics/follow-hub'
import { NAME_MAX } from '../topics/paths'
import { TopicStat, TopicStore } from '../topics/topic-store'
import { buildAttr, Owner } from './attrs'
import { OpenFile } from './open-file'
import { BlockedRead, findDyingHolders, readsToRelease } from './reaper'
import { parseViewPath, VIEW_DIRECTORIES, ViewPath } from './views'

export type OTruncMode = 'ignore' | 'reset'

export interface FilesystemOptions {
  framing: Framing
  otrunc: OTruncMode
  readOnly: boolean
  /** Told how many messages were pushed and fetched, for metrics. */
  onMessages?: (direction: 'pushed' | 'read', count: number) => void
}

/**
 * libfuse does not unlink a file that is still open: it renames it to ".fuse_hidden…" and
 * unlinks that name at the last close. dnpipes removes the topic at the rename instead, so that
 * the open handles see ESTALE, and answers the later unlink of the hidden name as done.
 */
const HIDDEN_PREFIX = '.fuse_hidden'

function isHiddenName (path: string): boolean {
  return path.slice(path.lastIndexOf('/') + 1).startsWith(HIDDEN_PREFIX)
}

const O_ACCMODE = 0o3
const O_RDONLY = 0
const O_WRONLY = 1
const O_TRUNC = 0o1000
const W_OK = 2
const X_OK = 1

/**
 * The file semantics of dnpipes over the topic layer: open files, appends, replays, resets.
 * Paths are FUSE paths ("/team/a"); results are plain values; failures are TopicErrors or
 * Redis errors that src/mount/errno.ts maps.
 */
/** An open `.follow/` or `.live/` file: reads block for new messages. */
interface FollowFile {
  kind: 'follow'
  cursor: FollowCursor
}

interface PendingRead {
  read: BlockedRead
  abort: AbortController
}

/** Read-only metadata, as extended attributes user.dnpipes.NAME. */
const XATTR_PREFIX = 'user.dnpipes.'
const XATTRS = ['key', 'entries', 'first-id', 'last-id']

/** How often blocked followers are checked for having been killed. */
const REAPER_INTERVAL_MS = 200

export class DnpipesFilesystem {
  private readonly openFiles = new Map<number, OpenFile | FollowFile>()
  private nextHandle = 1
  private readonly owner: Owner
  private readonly viewOwner: Owner
  private readonly mountedAtMs = Date.now()
  private hub: Hub | undefined
  private readonly blockedReads = new Map<number, PendingRead>()
  private nextReadId = 1
  private reaper: NodeJS.Timeout | undefined
  private closing = false

  constructor (readonly store: TopicStore, readonly options: FilesystemOptions) {
    const ids = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }
    this.owner = { ...ids, readOnly: options.readOnly }
    this.viewOwner = { ...ids, readOnly: true }
  }

  async getattr (fusePath: string): Promise<Fuse.Stat> {
    const { view, path } = this.resolve(fusePath)
    const stat = await this.store.stat(path)
    if (!stat) throw new TopicError('ENOENT', `no such file ${fusePath}`)
    if (view === 'plain') return buildAttr(stat, this.owner, this.mountedAtMs)
    // A view file is a stream, like a pipe: it has no size of its own.
    return buildAttr(stat.kind === 'topic' ? { ...stat, size: 0 } : stat, this.viewOwner, this.mountedAtMs)
  }

  /**
   * access(2) as the kernel's own checks would answer it for the mounting user, the only one who
   * gets in when the kernel does not check (no allow_other): executing a topic is refused, and so
   * is writing to a view, except for root.
   */
  async access (fusePath: string, mode: number): Promise<void> {
    const attr = await this.getattr(fusePath)
    if ((mode & X_OK) !== 0 && (attr.mode & 0o111) === 0) throw new TopicError('EACCES', 'topics are not executable')
    if ((mode & W_OK) !== 0 && (attr.mode & 0o222) === 0 && this.owner.uid !== 0) throw new TopicError('EACCES', 'read-only')
  }

  /**
   * The views list no children, although every topic path resolves below them: recursive tools
   * (find, grep -r, cp -r, du) must never descend into files whose reads block.
   */
  async readdir (fusePath: string): Promise<string[]> {
    const { view, path } = this.resolve(fusePath)
    if (view !== 'plain') {
      await this.store.requireDirectory(path)
      return ['.', '..']
    }
    const names = (await this.store.list(path)).map(entry => entry.name)
    if (path === '') names.unshift(...Object.keys(VIEW_DIRECTORIES))
    return ['.', '..', ...names]
  }

  async open (fusePath: string, flags: number): Promise<number> {
    const { view, path } = this.resolve(fusePath)
    const writable = (flags & O_ACCMODE) !== O_RDONLY
    if (view !== 'plain') {
      if (writable) throw new TopicError('EROFS', 'the .follow and .live views are read-only')
      const stat = await this.store.statTopic(path)
      if (!stat) throw this.changedSinceLookup(path)
      const hub = this.hub ??= this.store.createHub()
      const afterId = view === 'follow' ? '0-0' : stat.lastId
      return this.register({ kind: 'follow', cursor: new FollowCursor(this.store, hub, path, stat.uid, afterId, this.options.onMessages) })
    }
    if (writable) this.requireWritable()
    // A writer needs only the topic's identity: appends account other clients' entries
    // themselves. A reader gets them accounted now, so that its first read at an offset is exact.
    const uid = (flags & O_ACCMODE) === O_WRONLY ? await this.store.topicUid(path) : (await this.store.statTopic(path))?.uid
    if (!uid) throw this.changedSinceLookup(path)
    if (writable && (flags & O_TRUNC) !== 0 && this.options.otrunc === 'reset') await this.store.reset(path)
    return this.register(new OpenFile(this.store, path, uid, writable, this.options.framing, this.options.onMessages))
  }

  async create (fusePath: string): Promise<number> {
    const path = this.changeablePath(fusePath)
    let stat: TopicStat
    try {
      stat = await this.store.create(path)
    } catch (err) {
      // Another host created it between the kernel's lookup and this create: open it.
      if (!(err instanceof TopicError && err.code === 'EEXIST')) throw err
      stat = await this.requireTopic(path)
    }
    return this.register(new OpenFile(this.store, path, stat.uid, true, this.options.framing, this.options.onMessages))
  }

  async read (fusePath: string, handle: number, length: number, offset: number): Promise<Buffer> {
    const file = this.openFiles.get(handle)
    if (!file) throw new TopicError('EBADF', `no open file ${handle}`)
    if (file.kind === 'follow') return this.readFollowing(fusePath, file, length, offset)
    file.path = this.resolve(fusePath).path
    return file.cursor.read(offset, length)
  }

  /** Follower reads waiting for a message now. */
  get blockedFollowers (): number {
    return this.blockedReads.size
  }

  /** Whether reads of this handle may block (and so must not have a deadline). */
  isFollowing (handle: number): boolean {
    return this.openFiles.get(handle)?.kind === 'follow'
  }

  private async readFollowing (fusePath: string, file: FollowFile, length: number, offset: number): Promise<Buffer> {
    if (this.closing) return Buffer.alloc(0)
    file.cursor.path = this.resolve(fusePath).path
    const id = this.nextReadId++
    const pending: PendingRead = { read: { id, path: fusePath.replace(/^\/+/, ''), offset }, abort: new AbortController() }
    this.blockedReads.set(id, pending)
    try {
      return await file.cursor.read(length, pending.abort.signal)
    } finally {
      this.blockedReads.delete(id)
    }
  }

  /** Watches for killed followers while any read is blocked (see reaper.ts). */
  startReaper (mountpoint: string): void {
    let scanning = false
    this.reaper = setInterval(() => {
      if (scanning || this.blockedReads.size === 0) return
      scanning = true
      findDyingHolders(mountpoint).then(dying => {
        if (dying.length === 0) return
        for (const id of readsToRelease([...this.blockedReads.values()].map(p => p.read), dying)) {
          fuseLog('releasing the blocked read %d of a killed process', id)
          this.blockedReads.get(id)?.abort.abort()
        }
      }).catch(err => fuseLog('reaper: %s', err.message)).finally(() => { scanning = false })
    }, REAPER_INTERVAL_MS)
    this.reaper.unref()
  }

  /**
   * Before an unmount: every blocked follower gets end of file and no read blocks again. Waits
   * (at most `graceMs`) for the followers to close their files, so that the answers reach them
   * before the FUSE session goes away.
   */
  async releaseFollowers (graceMs = 1000): Promise<void> {
    this.closing = true
    clearInterval(this.reaper)
    for (const pending of this.blockedReads.values()) pending.abort.abort()
    this.hub?.close()
    const deadline = Date.now() + graceMs
    while (Date.now() < deadline && [...this.openFiles.values()].some(file => file.kind === 'follow')) {
      await new Promise(resolve => setTimeout(resolve, 10))
    }
  }

  /** Returns once every complete message in `data` is in Redis. Offsets are ignored: appends. */
  async write (fusePath: string, handle: number, data: Buffer): Promise<number> {
    const file = this.handle(fusePath, handle)
    if (!file.writable) throw new TopicError('EBADF', 'the file is not open for writing')
    await file.write(data)
    return data.length
  }

  async flush (fusePath: string, handle: number): Promise<void> {
    const file = this.openFiles.get(handle)
    if (!file || file.kind === 'follow') return
    file.path = this.resolve(fusePath).path
    await file.flush()
  }

  async release (fusePath: string, handle: number): Promise<void> {
    const file = this.openFiles.get(handle)
    if (!file) return
    this.openFiles.delete(handle)
    if (file.kind === 'follow') return
    file.path = this.resolve(fusePath).path
    await file.flush()
  }

  /** Truncating to 0 resets the topic; a topic cannot be cut elsewhere (EINVAL). */
  async truncate (fusePath: string, size: number): Promise<void> {
    const path = this.changeablePath(fusePath)
    await this.requireTopic(path)
    if (size !== 0) throw new TopicError('EINVAL', 'a topic can only be truncated to 0 (a reset)')
    await this.store.reset(path)
  }

  async unlink (fusePath: string): Promise<void> {
    const path = this.changeablePath(fusePath)
    if (isHiddenName(path)) return
    await this.store.remove(path)
  }

  async mkdir (fusePath: string): Promise<void> {
    await this.store.mkdir(this.changeablePath(fusePath))
  }

  async rmdir (fusePath: string): Promise<void> {
    await this.store.rmdir(this.changeablePath(fusePath))
  }

  async rename (fromFusePath: string, toFusePath: string): Promise<void> {
    const from = this.changeablePath(fromFusePath)
    const to = this.changeablePath(toFusePath)
    if (isHiddenName(to) && !isHiddenName(from)) return this.store.remove(from)
    await this.store.rename(from, to)
  }

  /** chmod, chown and utimens: accepted on anything that exists, so cp -p and touch work. */
  async acceptAttributeChange (fusePath: string): Promise<void> {
    this.changeablePath(fusePath)
    await this.getattr(fusePath)
  }

  /** Names of the read-only metadata of a topic (none for directories). */
  async listxattr (fusePath: string): Promise<string[]> {
    const { path } = this.resolve(fusePath)
    const stat = await this.store.stat(path)
    if (!stat) throw new TopicError('ENOENT', `no such file ${fusePath}`)
    return stat.kind === 'topic' ? XATTRS.map(name => XATTR_PREFIX + name) : []
  }

  /** A metadata value; undefined (ENODATA) for any other name, without asking Redis. */
  async getxattr (fusePath: string, name: string): Promise<Buffer | undefined> {
    if (!name.startsWith(XATTR_PREFIX) || !XATTRS.includes(name.slice(XATTR_PREFIX.length))) return undefined
    const { path } = this.resolve(fusePath)
    const stat = await this.store.stat(path)
    if (!stat) throw new TopicError('ENOENT', `no such file ${fusePath}`)
    if (stat.kind !== 'topic') return undefined
    switch (name.slice(XATTR_PREFIX.length)) {
      case 'key': return Buffer.from(this.store.keys.topic(path).stream)
      case 'entries': return Buffer.from(String(stat.entries))
      case 'first-id': return Buffer.from(stat.entries > 0 ? (await this.store.firstId(path)) ?? '' : '')
      default: return Buffer.from(stat.entries > 0 ? stat.lastId : '')
    }
  }

  /**
   * The metadata is read-only and nothing else is stored: ENOTSUP, which cp and mv (copying after
   * EXDEV) take as "this filesystem keeps no attributes" and pass over quietly.
   */
  async setxattr (fusePath: string, name: string): Promise<void> {
    this.resolve(fusePath)
    throw new TopicError('ENOTSUP', name.startsWith(XATTR_PREFIX) ? 'user.dnpipes.* attributes are read-only' : 'dnpipes stores no extended attributes')
  }

  /** Handles whose writes are pending, for a clean unmount. */
  get openCount (): number {
    return this.openFiles.size
  }

  private handle (fusePath: string, handle: number): OpenFile {
    const file = this.openFiles.get(handle)
    if (!file) throw new TopicError('EBADF', `no open file ${handle}`)
    if (file.kind === 'follow') throw new TopicError('EBADF', 'the file is not open for writing')
    file.path = this.resolve(fusePath).path
    return file
  }

  private register (file: OpenFile | FollowFile): number {
    const handle = this.nextHandle++
    this.openFiles.set(handle, file)
    return handle
  }

  private async requireTopic (path: string): Promise<TopicStat> {
    const stat = await this.store.stat(path)
    if (!stat) throw new TopicError('ENOENT', `no topic ${path}`)
    if (stat.kind === 'directory') throw new TopicError('EISDIR', `${path} is a directory`)
    return stat
  }

  /**
   * The kernel opens only names it looked up as files, but it keeps a name for a second
   * (entry_timeout): if no topic is there now, another host removed it (or put a directory in
   * its place). ESTALE makes the kernel look the name up again and redo the open, so that
   * `echo x >> t` creates the topic afresh and `cat t` answers ENOENT, as without the cache.
   */
  private changedSinceLookup (path: string): TopicError {
    return new TopicError('ESTALE', `${path} changed since the kernel looked it up`)
  }

  private requireWritable (): void {
    if (this.options.readOnly) throw new TopicError('EROFS', 'mounted read-only')
  }

  /** The topic path for an operation that changes something: never inside a view. */
  private changeablePath (fusePath: string): string {
    const { view, path } = this.resolve(fusePath)
    if (view !== 'plain') throw new TopicError('EROFS', 'the .follow and .live views are read-only')
    this.requireWritable()
    return path
  }

  /** View and mount-relative path; a component longer than NAME_MAX is ENAMETOOLONG everywhere. */
  private resolve (fusePath: string): ViewPath {
    // The binding decodes names as UTF-8, replacing invalid bytes with U+FFFD: such a name
    // could never be found again under the bytes it was created with.
    if (fusePath.includes('\uFFFD')) throw new TopicError('EILSEQ', 'names must be valid UTF-8')
    const resolved = parseViewPath(fusePath)
    for (const component of resolved.path.split('/')) {
      if (Buffer.byteLength(component) > NAME_MAX) throw new TopicError('ENAMETOOLONG', `name longer than ${NAME_MAX} bytes`)
    }
    return resolved
  }
}
