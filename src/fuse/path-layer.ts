import { AttributeNotices } from './attribute-notices'
import { HeldLookups } from './held-lookups'
import { Errno } from './errno'
import { childPath, NodeTable } from './inodes'
import { Listings } from './listings'
import type { Operations } from './operations'
import { InitFlag, OpenFlag } from './protocol'
import { attrOut, createOut, entryOut, openOut, statfsOut } from './reply'
import type { Arguments, Request } from './request'
import { answer, Reply, RequestHandler } from './session'
import { applySetattr, SetattrArgs } from './setattr'
import { answerFileRequest } from './file-requests'
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
/** The longest name, in bytes, as the kernel's NAME_MAX. */
const NAME_MAX = 255

/** The requests that name a child of their node. */
type NamedKind = 'lookup' | 'mknod' | 'mkdir' | 'symlink' | 'link' | 'unlink' | 'rmdir' | 'create'

/** One request being answered: its node, that node's path, and where the answer goes. */
interface PathCall {
  nodeid: number
  path: string
  reply: Reply
}


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
    if (args.kind === 'forget') return this.forget(args.forgets)
    const path = this.nodes.pathOf(request.nodeid)
    if (path === undefined) return reply.error(Errno.ENOENT)
    const call: PathCall = { nodeid: request.nodeid, path, reply }
    switch (args.kind) {
      case 'lookup':
      case 'mknod':
      case 'mkdir':
      case 'symlink':
      case 'link':
      case 'unlink':
      case 'rmdir':
      case 'create':
        return this.named(call, args)
      case 'rename': return this.rename(call, args)
      case 'open':
      case 'read':
      case 'write':
      case 'flush':
      case 'fsync':
      case 'release':
        return answerFileRequest(this.ops, call.path, args, this.openFlags(), call.reply)
      default: return this.nodeRequest(call, args)
    }
  }

  private forget (forgets: Array<{ nodeid: number, nlookup: number }>): void {
    for (const { nodeid, nlookup } of forgets) {
      // The count given back includes the lookups the reader answered: they are counted first.
      this.heldLookups.drop(nodeid)
      this.nodes.forget(nodeid, nlookup)
      if (this.nodes.pathOf(nodeid) === undefined) this.notices.forgotten(nodeid)
    }
  }

  /** Requests about a name in the directory `call.path`: the name is checked before any operation. */
  private named (call: PathCall, args: Extract<Arguments, { kind: NamedKind }>): void {
    const { reply } = call
    const target = this.childOf(call, args.name)
    if (target === undefined) return
    const ops = this.ops
    const created = (code: number): void => code === 0 ? this.entry(call, target) : reply.error(code)
    switch (args.kind) {
      case 'lookup': return this.lookup(call, target, args.name!)
      case 'mknod': return ops.mknod ? ops.mknod(target, args.mode, args.rdev, created) : reply.error(Errno.EPERM)
      case 'mkdir': return ops.mkdir ? ops.mkdir(target, args.mode, created) : reply.error(Errno.EPERM)
      case 'symlink':
        if (args.target === undefined) return reply.error(Errno.EILSEQ)
        return ops.symlink ? ops.symlink(args.target, target, created) : reply.error(Errno.EPERM)
      case 'link': {
        const source = this.nodes.pathOf(args.oldNodeid)
        if (source === undefined) return reply.error(Errno.ENOENT)
        return ops.link ? ops.link(source, target, created) : reply.error(Errno.EPERM)
      }
      case 'unlink':
      case 'rmdir': {
        const remove = args.kind === 'unlink' ? ops.unlink : ops.rmdir
        if (!remove) return reply.error(Errno.EPERM)
        return remove(target, code => {
          if (code === 0) this.removed(target)
          answer(reply, code)
        })
      }
      case 'create':
        if (!ops.create) return reply.error(Errno.EPERM)
        return ops.create(target, args.mode, (code, fd) => code === 0 ? this.entry(call, target, fd ?? 0) : reply.error(code))
    }
  }

  private lookup ({ nodeid: parent, reply }: PathCall, target: string, name: string): void {
    const lookup = this.ops.lookup ?? this.ops.getattr
    if (!lookup) return reply.error(Errno.ENOSYS)
    lookup(target, (code, stat) => {
      if (code !== 0 || !stat) return reply.error(code || Errno.EIO)
      const nodeid = this.remembered(target, stat)
      const body = entryOut(nodeid, stat, this.options.cache)
      // Held attributes: the reader answers the next lookups of the name until they change.
      if ((stat.keepSeconds ?? 0) > 0) this.holdLookups(nodeid, parent, name, body)
      reply.ok(body)
    })
  }

  private rename (call: PathCall, args: Extract<Arguments, { kind: 'rename' }>): void {
    const { reply } = call
    if (args.flags !== 0) return reply.error(RENAME_FLAGS_UNSUPPORTED)
    const source = this.childOf(call, args.name)
    if (source === undefined) return
    const parent = this.nodes.pathOf(args.newParent)
    if (parent === undefined) return reply.error(Errno.ENOENT)
    if (args.newName === undefined) return reply.error(Errno.EILSEQ)
    if (Buffer.byteLength(args.newName) > NAME_MAX) return reply.error(Errno.ENAMETOOLONG)
    const dest = childPath(parent, args.newName)
    if (!this.ops.rename) return reply.error(Errno.EPERM)
    this.ops.rename(source, dest, code => {
      if (code === 0) {
        this.unheld(source)
        this.unheld(dest)
        this.nodes.renamed(source, dest)
      }
      answer(reply, code)
    })
  }

  /** Requests about the node itself: its attributes, its listing, its extended attributes. */
  private nodeRequest (call: PathCall, args: Arguments): void {
    const { nodeid, path, reply } = call
    const ops = this.ops
    switch (args.kind) {
      case 'getattr': {
        const answerStat = (code: number, stat?: Stat): void => code === 0 && stat ? reply.ok(this.attributes(nodeid, stat)) : reply.error(code || Errno.EIO)
        if (args.fh !== undefined && ops.fgetattr) return ops.fgetattr(path, args.fh, answerStat)
        if (!ops.getattr) return reply.error(Errno.ENOSYS)
        return ops.getattr(path, answerStat)
      }
      case 'setattr': return this.setattr(path, nodeid, args, reply)
      case 'access': return ops.access ? ops.access(path, args.mask, code => answer(reply, code)) : reply.ok()
      case 'statfs':
        if (!ops.statfs) return reply.error(Errno.ENOSYS)
        return ops.statfs(path, (code, space) => code === 0 && space ? reply.ok(statfsOut(space)) : reply.error(code || Errno.EIO))
      case 'readlink':
        if (!ops.readlink) return reply.error(Errno.EINVAL)
        return ops.readlink(path, (code, target) => code === 0 && target !== undefined ? reply.ok(Buffer.from(target)) : reply.error(code || Errno.EIO))
      case 'fsyncdir': return reply.ok()
      case 'opendir': return reply.ok(openOut(this.listings.open(), 0))
      case 'readdir':
      case 'readdirplus':
        return this.listings.page(path, nodeid, args.fh, args.offset, args.size, args.kind === 'readdirplus', reply)
      case 'releasedir':
        this.listings.release(args.fh)
        return reply.ok()
      case 'setxattr':
      case 'getxattr':
      case 'listxattr':
      case 'removexattr':
        return answerXattr(ops, path, args, this.options.ownXattrs, reply)
      case 'destroy': return reply.ok()
      default: return reply.error(Errno.ENOSYS)
    }
  }

  /** The path of `name` in the directory `call.path`; undefined, answered, when the name cannot be one. */
  private childOf ({ path, reply }: PathCall, name: string | undefined): string | undefined {
    if (name === undefined) { reply.error(Errno.EILSEQ); return undefined }
    if (Buffer.byteLength(name) > NAME_MAX) { reply.error(Errno.ENAMETOOLONG); return undefined }
    return childPath(path, name)
  }

  /** Answers an entry for `target` (a new reference to its node) from a getattr of it. */
  private entry ({ reply }: PathCall, target: string, opened?: number): void {
    const getattr = this.ops.getattr
    if (!getattr) return reply.error(Errno.ENOSYS)
    getattr(target, (code, stat) => {
      if (code !== 0 || !stat) return reply.error(code || Errno.EIO)
      const nodeid = this.remembered(target, stat)
      const cache = this.options.cache
      reply.ok(opened === undefined ? entryOut(nodeid, stat, cache) : createOut(nodeid, stat, cache, opened, this.openFlags()))
    })
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
