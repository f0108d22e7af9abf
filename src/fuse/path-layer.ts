import { AttributeNotices } from './attribute-notices'
import { HeldLookups } from './held-lookups'
import { Errno } from './errno'
import { childPath, NodeTable } from './inodes'
import { Listings } from './listings'
import type { Operations } from './operations'
import { InitFlag, OpenFlag, RELEASE_FLUSH } from './protocol'
import { attrOut, createOut, entryOut, openOut, statfsOut, writeOut } from './reply'
import type { Request } from './request'
import type { Reply, RequestHandler } from './session'
import { applySetattr, SetattrArgs } from './setattr'
import { answerXattr } from './xattr-requests'
import type { CacheTimes, Stat } from './types'

export interface PathLayerOptions {
  /** How long the kernel may keep names and attributes. */
  cache: CacheTimes
  /** Every open file is direct I/O: reads reach the filesystem every time. */
  directIo: boolean
  /**
   * The only extended attributes the filesystem knows of (a prefix such as "user.dnpipes."):
   * getxattr of another name answers ENODATA here, without an operation. '' sends every name on.
   */
  ownXattrs: string
  /** The filesystem's readdir gives attributes: directory listings carry them (READDIRPLUS). */
  readdirPlus: boolean
  /** The nodes the kernel holds, taken over from the server before this one; a new table without. */
  nodes?: NodeTable
  /** Directory handles start after this one: those of the servers before this one stay apart. @default 0 */
  firstHandle?: number
}

const RENAME_FLAGS_UNSUPPORTED = Errno.ENOSYS
const EMPTY = Buffer.alloc(0)

/**
 * Serves a filesystem by paths (operations.ts) over the kernel's node ids: keeps the node table
 * (inodes.ts), turns each request into the operation on its path, and encodes the answer. The
 * kernel's LOOKUP goes to `lookup` (or `getattr`), a GETATTR to `getattr`; READDIRPLUS is used
 * when the filesystem lists names with their attributes.
 */
export class PathLayer implements RequestHandler {
  readonly nodes: NodeTable
  /** What the kernel keeps of nodes' attributes, and the notifications that drop them (its notify is set by mount.ts). */
  readonly notices = new AttributeNotices()
  /** Lookups of held names, answered by the connection's reader (held-lookups.ts). */
  readonly heldLookups = new HeldLookups((nodeid, lookups) => this.nodes.counted(nodeid, lookups))
  private readonly listings: Listings

  constructor (private readonly ops: Operations, private readonly options: PathLayerOptions) {
    this.nodes = options.nodes ?? new NodeTable()
    this.listings = new Listings({ firstHandle: options.firstHandle ?? 0,  ops, nodes: this.nodes, cache: options.cache, remembered: (path, stat) => this.remembered(path, stat) })
  }

  /**
   * The attributes of `path` (undefined: of every node) changed, or may have: the kernel drops
   * what it keeps of them, so that its next stat asks. Only nodes whose attributes were handed
   * out with a keeping time that has not run out need the word.
   */
  attributesChanged (path?: string): void {
    const nodeid = path === undefined ? undefined : this.nodes.idOf(path)
    if (path !== undefined && nodeid === undefined) return
    if (nodeid === undefined) this.heldLookups.dropAll()
    else this.heldLookups.drop(nodeid)
    this.notices.changed(nodeid, path ?? 'every path')
  }

  initFlags (): number {
    const flags = InitFlag.ASYNC_READ | InitFlag.ATOMIC_O_TRUNC | InitFlag.PARALLEL_DIROPS
    return this.options.readdirPlus ? flags | InitFlag.DO_READDIRPLUS : flags
  }

  handle (request: Request, reply: Reply): void {
    const args = request.args
    if (args.kind === 'forget') {
      for (const { nodeid, nlookup } of args.forgets) {
        // The count given back includes the lookups the reader answered: they are counted first.
        this.heldLookups.drop(nodeid)
        this.nodes.forget(nodeid, nlookup)
        if (this.nodes.pathOf(nodeid) === undefined) this.notices.forgotten(nodeid)
      }
      return
    }
    const path = this.nodes.pathOf(request.nodeid)
    if (path === undefined) return reply.error(Errno.ENOENT)
    const ops = this.ops
    const cache = this.options.cache
    const name = (n: string | undefined): string | undefined => {
      if (n === undefined) { reply.error(Errno.EILSEQ); return undefined }
      if (Buffer.byteLength(n) > 255) { reply.error(Errno.ENAMETOOLONG); return undefined }
      return childPath(path, n)
    }
    const unsupported = (): void => reply.error(Errno.ENOSYS)
    /** Answers an entry for `target` (a new reference to its node) from a getattr of it. */
    const entry = (target: string, opened?: number): void => {
      const getattr = ops.getattr
      if (!getattr) return unsupported()
      getattr(target, (code, stat) => {
        if (code !== 0 || !stat) return reply.error(code || Errno.EIO)
        const nodeid = this.remembered(target, stat)
        reply.ok(opened === undefined ? entryOut(nodeid, stat, cache) : createOut(nodeid, stat, cache, opened, this.openFlags()))
      })
    }
    const done = (code: number): void => code === 0 ? reply.ok() : reply.error(code)

    switch (args.kind) {
      case 'lookup': {
        const target = name(args.name)
        if (target === undefined) return
        const lookup = ops.lookup ?? ops.getattr
        if (!lookup) return unsupported()
        return lookup(target, (code, stat) => {
          if (code !== 0 || !stat) return reply.error(code || Errno.EIO)
          const nodeid = this.remembered(target, stat)
          const body = entryOut(nodeid, stat, cache)
          // Held attributes: the reader answers the next lookups of the name until they change.
          if ((stat.keepSeconds ?? 0) > 0) this.holdLookups(nodeid, request.nodeid, args.name!, body)
          reply.ok(body)
        })
      }
      case 'getattr': {
        const answer = (code: number, stat?: Stat): void => code === 0 && stat ? reply.ok(this.attributes(request.nodeid, stat)) : reply.error(code || Errno.EIO)
        if (args.fh !== undefined && ops.fgetattr) return ops.fgetattr(path, args.fh, answer)
        if (!ops.getattr) return unsupported()
        return ops.getattr(path, answer)
      }
      case 'setattr': return this.setattr(path, request.nodeid, args, reply)
      case 'access': return ops.access ? ops.access(path, args.mask, done) : reply.ok()
      case 'statfs': {
        if (!ops.statfs) return unsupported()
        return ops.statfs(path, (code, space) => code === 0 && space ? reply.ok(statfsOut(space)) : reply.error(code || Errno.EIO))
      }
      case 'mknod': {
        const target = name(args.name)
        if (target === undefined) return
        if (!ops.mknod) return reply.error(Errno.EPERM)
        return ops.mknod(target, args.mode, args.rdev, code => code === 0 ? entry(target) : reply.error(code))
      }
      case 'mkdir': {
        const target = name(args.name)
        if (target === undefined) return
        if (!ops.mkdir) return reply.error(Errno.EPERM)
        return ops.mkdir(target, args.mode, code => code === 0 ? entry(target) : reply.error(code))
      }
      case 'symlink': {
        const target = name(args.name)
        if (target === undefined) return
        if (args.target === undefined) return reply.error(Errno.EILSEQ)
        if (!ops.symlink) return reply.error(Errno.EPERM)
        return ops.symlink(args.target, target, code => code === 0 ? entry(target) : reply.error(code))
      }
      case 'link': {
        const target = name(args.name)
        if (target === undefined) return
        const source = this.nodes.pathOf(args.oldNodeid)
        if (source === undefined) return reply.error(Errno.ENOENT)
        if (!ops.link) return reply.error(Errno.EPERM)
        return ops.link(source, target, code => code === 0 ? entry(target) : reply.error(code))
      }
      case 'unlink':
      case 'rmdir': {
        const target = name(args.name)
        if (target === undefined) return
        const remove = args.kind === 'unlink' ? ops.unlink : ops.rmdir
        if (!remove) return reply.error(Errno.EPERM)
        return remove(target, code => {
          if (code === 0) this.removed(target)
          done(code)
        })
      }
      case 'rename': {
        if (args.flags !== 0) return reply.error(RENAME_FLAGS_UNSUPPORTED)
        const source = name(args.name)
        if (source === undefined) return
        const parent = this.nodes.pathOf(args.newParent)
        if (parent === undefined) return reply.error(Errno.ENOENT)
        if (args.newName === undefined) return reply.error(Errno.EILSEQ)
        if (Buffer.byteLength(args.newName) > 255) return reply.error(Errno.ENAMETOOLONG)
        const dest = childPath(parent, args.newName)
        if (!ops.rename) return reply.error(Errno.EPERM)
        return ops.rename(source, dest, code => {
          if (code === 0) {
            this.unheld(source)
            this.unheld(dest)
            this.nodes.renamed(source, dest)
          }
          done(code)
        })
      }
      case 'readlink': {
        if (!ops.readlink) return reply.error(Errno.EINVAL)
        return ops.readlink(path, (code, target) => code === 0 && target !== undefined ? reply.ok(Buffer.from(target)) : reply.error(code || Errno.EIO))
      }
      case 'open': {
        if (!ops.open) return reply.ok(openOut(0, this.openFlags()))
        return ops.open(path, args.flags, (code, fd) => code === 0 ? reply.ok(openOut(fd ?? 0, this.openFlags())) : reply.error(code))
      }
      case 'create': {
        const target = name(args.name)
        if (target === undefined) return
        if (!ops.create) return reply.error(Errno.EPERM)
        return ops.create(target, args.mode, (code, fd) => code === 0 ? entry(target, fd ?? 0) : reply.error(code))
      }
      case 'read': {
        if (!ops.read) return unsupported()
        return ops.read(path, args.fh, args.size, args.offset, (code, data) => {
          if (code < 0) return reply.error(code)
          reply.ok(data && data.length > args.size ? data.subarray(0, args.size) : data ?? EMPTY)
        })
      }
      case 'write': {
        if (!ops.write) return unsupported()
        return ops.write(path, args.fh, args.data, args.data.length, args.offset, result => result < 0 ? reply.error(result) : reply.ok(writeOut(result)))
      }
      case 'flush': return ops.flush ? ops.flush(path, args.fh, done) : reply.ok()
      case 'fsync': return ops.fsync ? ops.fsync(path, args.datasync, args.fh, done) : reply.ok()
      case 'fsyncdir': return reply.ok()
      case 'release': {
        if (!ops.release) return reply.ok()
        const release = ops.release
        if ((args.releaseFlags & RELEASE_FLUSH) !== 0 && ops.flush) return ops.flush(path, args.fh, () => release(path, args.fh, done))
        return release(path, args.fh, done)
      }
      case 'opendir':
        return reply.ok(openOut(this.listings.open(), 0))
      case 'readdir':
      case 'readdirplus':
        return this.listings.page(path, request.nodeid, args.fh, args.offset, args.size, args.kind === 'readdirplus', reply)
      case 'releasedir':
        this.listings.release(args.fh)
        return reply.ok()
      case 'setxattr':
      case 'getxattr':
      case 'listxattr':
      case 'removexattr':
        return answerXattr(ops, path, args, this.options.ownXattrs, reply)
      case 'destroy':
        return reply.ok()
      default:
        return unsupported()
    }
  }

  /**
   * The reader answers lookups of `name` in `parent` with `body`, node `nodeid`'s entry, until
   * its attributes change: the kernel keeps them from the last of those answers, so they count
   * as kept for as long as the entry is held.
   */
  private holdLookups (nodeid: number, parent: number, name: string, body: Buffer): void {
    this.heldLookups.hold(nodeid, parent, name, body)
    this.notices.handedOut(nodeid, Infinity)
  }

  /** `path` is about to name another node, or none: the reader stops answering for it. */
  private unheld (path: string): void {
    const nodeid = this.nodes.idOf(path)
    if (nodeid !== undefined && this.heldLookups.holds(nodeid)) this.attributesChanged(path)
  }

  /** `path` no longer names its node. */
  private removed (path: string): void {
    this.unheld(path)
    this.nodes.unlinked(path)
  }

  /** Counts a kernel reference to `path`'s node, whose attributes go with it, and returns its id. */
  private remembered (path: string, stat: Stat): number {
    const nodeid = this.nodes.remember(path)
    this.notices.handedOut(nodeid, stat.keepSeconds ?? this.options.cache.attrSeconds)
    return nodeid
  }

  /** GETATTR's and SETATTR's reply: `stat` of `nodeid`, noted if the kernel is to keep it. */
  private attributes (nodeid: number, stat: Stat): Buffer {
    this.notices.handedOut(nodeid, stat.keepSeconds ?? this.options.cache.attrSeconds)
    return attrOut(nodeid, stat, this.options.cache.attrSeconds)
  }

  private openFlags (): number {
    return this.options.directIo ? OpenFlag.DIRECT_IO : 0
  }

  /** SETATTR: each change the request carries, one operation each, then the new attributes. */
  private setattr (path: string, nodeid: number, args: SetattrArgs, reply: Reply): void {
    applySetattr(this.ops, path, args, code => {
      if (code !== 0) return reply.error(code)
      if (!this.ops.getattr) return reply.error(Errno.ENOSYS)
      this.ops.getattr(path, (code, stat) => code === 0 && stat ? reply.ok(this.attributes(nodeid, stat)) : reply.error(code || Errno.EIO))
    })
  }
}
