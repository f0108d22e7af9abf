import type Fuse from 'fuse-native'
import { Framing } from '../framing/message'
import { TopicError } from '../topics/errors'
import { fromFusePath, NAME_MAX } from '../topics/paths'
import { TopicStat, TopicStore } from '../topics/topic-store'
import { buildAttr, Owner } from './attrs'
import { OpenFile } from './open-file'

export type OTruncMode = 'ignore' | 'reset'

export interface FilesystemOptions {
  framing: Framing
  otrunc: OTruncMode
  readOnly: boolean
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
const O_TRUNC = 0o1000

/**
 * The file semantics of dnpipes over the topic layer: open files, appends, replays, resets.
 * Paths are FUSE paths ("/team/a"); results are plain values; failures are TopicErrors or
 * Redis errors that src/mount/errno.ts maps.
 */
export class DnpipesFilesystem {
  private readonly openFiles = new Map<number, OpenFile>()
  private nextHandle = 1
  private readonly owner: Owner
  private readonly mountedAtMs = Date.now()

  constructor (readonly store: TopicStore, readonly options: FilesystemOptions) {
    this.owner = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, readOnly: options.readOnly }
  }

  async getattr (fusePath: string): Promise<Fuse.Stat> {
    const stat = await this.store.stat(this.resolve(fusePath))
    if (!stat) throw new TopicError('ENOENT', `no such file ${fusePath}`)
    return buildAttr(stat, this.owner, this.mountedAtMs)
  }

  async readdir (fusePath: string): Promise<string[]> {
    const entries = await this.store.list(this.resolve(fusePath))
    return ['.', '..', ...entries.map(entry => entry.name)]
  }

  async open (fusePath: string, flags: number): Promise<number> {
    const path = this.resolve(fusePath)
    const writable = (flags & O_ACCMODE) !== O_RDONLY
    if (writable) this.requireWritable()
    const stat = await this.requireTopic(path)
    if (writable && (flags & O_TRUNC) !== 0 && this.options.otrunc === 'reset') await this.store.reset(path)
    return this.register(new OpenFile(this.store, path, stat.uid, writable, this.options.framing))
  }

  async create (fusePath: string): Promise<number> {
    this.requireWritable()
    const path = this.resolve(fusePath)
    let stat: TopicStat
    try {
      stat = await this.store.create(path)
    } catch (err) {
      // Another host created it between the kernel's lookup and this create: open it.
      if (!(err instanceof TopicError && err.code === 'EEXIST')) throw err
      stat = await this.requireTopic(path)
    }
    return this.register(new OpenFile(this.store, path, stat.uid, true, this.options.framing))
  }

  async read (fusePath: string, handle: number, length: number, offset: number): Promise<Buffer> {
    const file = this.handle(fusePath, handle)
    return file.cursor.read(offset, length)
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
    if (!file) return
    file.path = this.resolve(fusePath)
    await file.flush()
  }

  async release (fusePath: string, handle: number): Promise<void> {
    const file = this.openFiles.get(handle)
    if (!file) return
    this.openFiles.delete(handle)
    file.path = this.resolve(fusePath)
    await file.flush()
  }

  /** Truncating to 0 resets the topic; a topic cannot be cut elsewhere (EINVAL). */
  async truncate (fusePath: string, size: number): Promise<void> {
    this.requireWritable()
    const path = this.resolve(fusePath)
    await this.requireTopic(path)
    if (size !== 0) throw new TopicError('EINVAL', 'a topic can only be truncated to 0 (a reset)')
    await this.store.reset(path)
  }

  async unlink (fusePath: string): Promise<void> {
    this.requireWritable()
    const path = this.resolve(fusePath)
    if (isHiddenName(path)) return
    await this.store.remove(path)
  }

  async mkdir (fusePath: string): Promise<void> {
    this.requireWritable()
    await this.store.mkdir(this.resolve(fusePath))
  }

  async rmdir (fusePath: string): Promise<void> {
    this.requireWritable()
    await this.store.rmdir(this.resolve(fusePath))
  }

  async rename (fromFusePath: string, toFusePath: string): Promise<void> {
    this.requireWritable()
    const from = this.resolve(fromFusePath)
    const to = this.resolve(toFusePath)
    if (isHiddenName(to) && !isHiddenName(from)) return this.store.remove(from)
    await this.store.rename(from, to)
  }

  /** chmod, chown and utimens: accepted on anything that exists, so cp -p and touch work. */
  async acceptAttributeChange (fusePath: string): Promise<void> {
    this.requireWritable()
    await this.getattr(fusePath)
  }

  /** Handles whose writes are pending, for a clean unmount. */
  get openCount (): number {
    return this.openFiles.size
  }

  private handle (fusePath: string, handle: number): OpenFile {
    const file = this.openFiles.get(handle)
    if (!file) throw new TopicError('EBADF', `no open file ${handle}`)
    file.path = this.resolve(fusePath)
    return file
  }

  private register (file: OpenFile): number {
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

  private requireWritable (): void {
    if (this.options.readOnly) throw new TopicError('EROFS', 'mounted read-only')
  }

  /** Mount-relative path; a component longer than NAME_MAX is ENAMETOOLONG on every operation. */
  private resolve (fusePath: string): string {
    const path = fromFusePath(fusePath)
    for (const component of path.split('/')) {
      if (Buffer.byteLength(component) > NAME_MAX) throw new TopicError('ENAMETOOLONG', `name longer than ${NAME_MAX} bytes`)
    }
    return path
  }
}
