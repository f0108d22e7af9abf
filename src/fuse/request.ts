import { isUtf8 } from 'node:buffer'
import { Opcode, Size } from './protocol'
import { readU64 } from './u64'

/**
 * Requests from the kernel, decoded from the bytes read off the connection. Every length is
 * checked before it is used: a request shorter than its opcode's fixed part, or a name without
 * its terminating NUL, is a ProtocolError, never a read past what arrived. Names come out as
 * strings when they are UTF-8 and as undefined otherwise (dnpipes answers EILSEQ for them).
 * Payloads (write data, xattr values) are copied: the buffer is reused for the next request.
 */

export class ProtocolError extends Error {
  constructor (message: string) {
    super(`FUSE protocol: ${message}`)
    this.name = 'ProtocolError'
  }
}

export interface Header {
  opcode: number
  unique: bigint
  nodeid: number
  uid: number
  gid: number
  pid: number
}

export type Arguments =
  | { kind: 'init', major: number, minor: number, maxReadahead: number, flags: number, flags2: number }
  | { kind: 'lookup', name: string | undefined }
  | { kind: 'forget', forgets: Array<{ nodeid: number, nlookup: number }> }
  | { kind: 'getattr', fh: number | undefined }
  | { kind: 'setattr', valid: number, fh: number, size: number, atimeMs: number, mtimeMs: number, mode: number, uid: number, gid: number }
  | { kind: 'mknod', name: string | undefined, mode: number, rdev: number, umask: number }
  | { kind: 'mkdir', name: string | undefined, mode: number, umask: number }
  | { kind: 'unlink' | 'rmdir', name: string | undefined }
  | { kind: 'symlink', name: string | undefined, target: string | undefined }
  | { kind: 'link', oldNodeid: number, name: string | undefined }
  | { kind: 'rename', newParent: number, name: string | undefined, newName: string | undefined, flags: number }
  | { kind: 'open' | 'opendir', flags: number }
  | { kind: 'create', name: string | undefined, flags: number, mode: number, umask: number }
  | { kind: 'read' | 'readdir' | 'readdirplus', fh: number, offset: number, size: number, flags: number }
  | { kind: 'write', fh: number, offset: number, data: Buffer, flags: number }
  | { kind: 'release' | 'releasedir', fh: number, flags: number, releaseFlags: number }
  | { kind: 'flush', fh: number }
  | { kind: 'fsync' | 'fsyncdir', fh: number, datasync: boolean }
  | { kind: 'setxattr', name: string | undefined, value: Buffer, flags: number }
  | { kind: 'getxattr', name: string | undefined, size: number }
  | { kind: 'listxattr', size: number }
  | { kind: 'removexattr', name: string | undefined }
  | { kind: 'access', mask: number }
  | { kind: 'interrupt', target: bigint }
  | { kind: 'statfs' | 'readlink' | 'destroy' }
  | { kind: 'unknown' }

export type Request = Header & { args: Arguments }

/** Reads the fixed fields and NUL-terminated strings of one request's arguments, bounds-checked. */
class ArgumentReader {
  private offset: number
  constructor (private readonly buffer: Buffer, start: number, private readonly end: number, private readonly opcode: number) {
    this.offset = start
  }

  /** Checks that `size` bytes of fixed arguments are there, and returns where they start. */
  fixed (size: number): number {
    if (this.end - this.offset < size) throw new ProtocolError(`opcode ${this.opcode}: ${this.end - this.offset} bytes of arguments, ${size} needed`)
    const at = this.offset
    this.offset += size
    return at
  }

  /** A NUL-terminated name: its string when UTF-8, undefined when not. */
  name (): string | undefined {
    const nul = this.buffer.indexOf(0, this.offset)
    if (nul < 0 || nul >= this.end) throw new ProtocolError(`opcode ${this.opcode}: a name without its NUL`)
    const bytes = this.buffer.subarray(this.offset, nul)
    this.offset = nul + 1
    return isUtf8(bytes) ? bytes.toString('utf8') : undefined
  }

  /** The rest of the request, copied. */
  rest (size: number): Buffer {
    if (this.end - this.offset < size) throw new ProtocolError(`opcode ${this.opcode}: a payload of ${size} bytes with ${this.end - this.offset} there`)
    return Buffer.from(this.buffer.subarray(this.offset, this.offset + size))
  }

  remaining (): number { return this.end - this.offset }

  u32 (at: number): number { return this.buffer.readUInt32LE(at) }
  u64 (at: number): number { return readU64(this.buffer, at) }
}

/** Requests on open files and directories: the hot path, tried first. */
function decodeIo (r: ArgumentReader, opcode: number): Arguments | undefined {
  switch (opcode) {
    case Opcode.OPEN:
    case Opcode.OPENDIR:
      return { kind: opcode === Opcode.OPEN ? 'open' : 'opendir', flags: r.u32(r.fixed(Size.OPEN_IN)) }
    case Opcode.READ:
    case Opcode.READDIR:
    case Opcode.READDIRPLUS: {
      const at = r.fixed(Size.READ_IN)
      const kind = opcode === Opcode.READ ? 'read' : opcode === Opcode.READDIR ? 'readdir' : 'readdirplus'
      return { kind, fh: r.u64(at), offset: r.u64(at + 8), size: r.u32(at + 16), flags: r.u32(at + 32) }
    }
    case Opcode.WRITE: {
      const at = r.fixed(Size.WRITE_IN)
      const size = r.u32(at + 16)
      return { kind: 'write', fh: r.u64(at), offset: r.u64(at + 8), flags: r.u32(at + 32), data: r.rest(size) }
    }
    case Opcode.RELEASE:
    case Opcode.RELEASEDIR: {
      const at = r.fixed(Size.RELEASE_IN)
      return { kind: opcode === Opcode.RELEASE ? 'release' : 'releasedir', fh: r.u64(at), flags: r.u32(at + 8), releaseFlags: r.u32(at + 12) }
    }
    case Opcode.FLUSH: return { kind: 'flush', fh: r.u64(r.fixed(Size.FLUSH_IN)) }
    case Opcode.FSYNC:
    case Opcode.FSYNCDIR: {
      const at = r.fixed(Size.FSYNC_IN)
      return { kind: opcode === Opcode.FSYNC ? 'fsync' : 'fsyncdir', fh: r.u64(at), datasync: (r.u32(at + 8) & 1) !== 0 }
    }
    default: return undefined
  }
}

/** Requests that name a child of their node. */
function decodeNamed (r: ArgumentReader, opcode: number): Arguments | undefined {
  switch (opcode) {
    case Opcode.LOOKUP: return { kind: 'lookup', name: r.name() }
    case Opcode.MKNOD: {
      const at = r.fixed(Size.MKNOD_IN)
      return { kind: 'mknod', mode: r.u32(at), rdev: r.u32(at + 4), umask: r.u32(at + 8), name: r.name() }
    }
    case Opcode.MKDIR: {
      const at = r.fixed(Size.MKDIR_IN)
      return { kind: 'mkdir', mode: r.u32(at), umask: r.u32(at + 4), name: r.name() }
    }
    case Opcode.UNLINK: return { kind: 'unlink', name: r.name() }
    case Opcode.RMDIR: return { kind: 'rmdir', name: r.name() }
    case Opcode.SYMLINK: {
      const name = r.name()
      return { kind: 'symlink', name, target: r.name() }
    }
    case Opcode.LINK: {
      const at = r.fixed(Size.LINK_IN)
      return { kind: 'link', oldNodeid: r.u64(at), name: r.name() }
    }
    case Opcode.RENAME: {
      const at = r.fixed(Size.RENAME_IN)
      const newParent = r.u64(at)
      const name = r.name()
      return { kind: 'rename', newParent, name, newName: r.name(), flags: 0 }
    }
    case Opcode.RENAME2: {
      const at = r.fixed(Size.RENAME2_IN)
      const newParent = r.u64(at)
      const flags = r.u32(at + 8)
      const name = r.name()
      return { kind: 'rename', newParent, name, newName: r.name(), flags }
    }
    case Opcode.CREATE: {
      const at = r.fixed(Size.CREATE_IN)
      return { kind: 'create', flags: r.u32(at), mode: r.u32(at + 4), umask: r.u32(at + 8), name: r.name() }
    }
    default: return undefined
  }
}

/** Requests about the node itself, the session and the kernel's bookkeeping. */
function decodeNodeRequest (r: ArgumentReader, opcode: number, nodeid: number, buffer: Buffer): Arguments | undefined {
  switch (opcode) {
    case Opcode.INIT: {
      const at = r.fixed(Size.INIT_IN_BASE)
      const major = r.u32(at)
      const minor = r.u32(at + 4)
      // flags2 exists from 7.36 on, in the longer INIT of newer kernels.
      const flags2 = r.remaining() >= 4 ? r.u32(r.fixed(4)) : 0
      return { kind: 'init', major, minor, maxReadahead: r.u32(at + 8), flags: r.u32(at + 12), flags2 }
    }
    case Opcode.FORGET: return { kind: 'forget', forgets: [{ nodeid, nlookup: r.u64(r.fixed(Size.FORGET_IN)) }] }
    case Opcode.BATCH_FORGET: {
      const count = r.u32(r.fixed(Size.BATCH_FORGET_IN))
      const forgets = []
      for (let i = 0; i < count; i++) {
        const at = r.fixed(Size.FORGET_ONE)
        forgets.push({ nodeid: r.u64(at), nlookup: r.u64(at + 8) })
      }
      return { kind: 'forget', forgets }
    }
    case Opcode.GETATTR: {
      const at = r.fixed(Size.GETATTR_IN)
      return { kind: 'getattr', fh: (r.u32(at) & 1) !== 0 ? r.u64(at + 8) : undefined }
    }
    case Opcode.SETATTR: {
      const at = r.fixed(Size.SETATTR_IN)
      const ms = (seconds: number, nanos: number): number => seconds * 1000 + Math.floor(nanos / 1e6)
      return {
        kind: 'setattr',
        valid: r.u32(at),
        fh: r.u64(at + 8),
        size: r.u64(at + 16),
        atimeMs: ms(r.u64(at + 32), r.u32(at + 56)),
        mtimeMs: ms(r.u64(at + 40), r.u32(at + 60)),
        mode: r.u32(at + 68),
        uid: r.u32(at + 76),
        gid: r.u32(at + 80)
      }
    }
    case Opcode.SETXATTR: {
      const at = r.fixed(Size.SETXATTR_IN)
      const size = r.u32(at)
      const flags = r.u32(at + 4)
      const name = r.name()
      return { kind: 'setxattr', name, flags, value: r.rest(size) }
    }
    case Opcode.GETXATTR: {
      const at = r.fixed(Size.GETXATTR_IN)
      return { kind: 'getxattr', size: r.u32(at), name: r.name() }
    }
    case Opcode.LISTXATTR: return { kind: 'listxattr', size: r.u32(r.fixed(Size.GETXATTR_IN)) }
    case Opcode.REMOVEXATTR: return { kind: 'removexattr', name: r.name() }
    case Opcode.ACCESS: return { kind: 'access', mask: r.u32(r.fixed(Size.ACCESS_IN)) }
    case Opcode.INTERRUPT: return { kind: 'interrupt', target: buffer.readBigUInt64LE(r.fixed(Size.INTERRUPT_IN)) }
    case Opcode.READLINK: return { kind: 'readlink' }
    case Opcode.STATFS: return { kind: 'statfs' }
    case Opcode.DESTROY: return { kind: 'destroy' }
    default: return undefined
  }
}

function decodeArguments (r: ArgumentReader, opcode: number, nodeid: number, buffer: Buffer): Arguments {
  return decodeIo(r, opcode) ?? decodeNamed(r, opcode) ?? decodeNodeRequest(r, opcode, nodeid, buffer) ?? { kind: 'unknown' }
}

/** Decodes the request of `length` bytes at the start of `buffer` (its header's length checked). */
export function decodeRequest (buffer: Buffer, length: number): Request {
  if (length < Size.IN_HEADER || length > buffer.length) throw new ProtocolError(`a request of ${length} bytes`)
  const declared = buffer.readUInt32LE(0)
  if (declared !== length) throw new ProtocolError(`a header saying ${declared} bytes in a request of ${length}`)
  const opcode = buffer.readUInt32LE(4)
  // Extensions (security contexts, supplementary groups) come after the arguments, only when asked for in INIT.
  const extensions = buffer.readUInt16LE(36) * 8
  if (extensions > length - Size.IN_HEADER) throw new ProtocolError(`${extensions} bytes of extensions in a request of ${length}`)
  const reader = new ArgumentReader(buffer, Size.IN_HEADER, length - extensions, opcode)
  const nodeid = readU64(buffer, 16)
  return {
    opcode,
    unique: buffer.readBigUInt64LE(8),
    nodeid,
    uid: buffer.readUInt32LE(24),
    gid: buffer.readUInt32LE(28),
    pid: buffer.readUInt32LE(32),
    args: decodeArguments(reader, opcode, nodeid, buffer)
  }
}
