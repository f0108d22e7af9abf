import { Notify, Size } from './protocol'
import type { CacheTimes, Stat, Statfs } from './types'
import { writeI64, writeU64 } from './u64'

/**
 * Replies and notifications in the kernel's layout. Each encoder returns the reply's body;
 * the session puts the out-header in front (outHeader). Pure: no I/O, tested on its own.
 */

export function outHeader (bodyLength: number, error: number, unique: bigint): Buffer {
  const header = Buffer.allocUnsafe(Size.OUT_HEADER)
  header.writeUInt32LE(Size.OUT_HEADER + bodyLength, 0)
  header.writeInt32LE(error, 4)
  header.writeBigUInt64LE(unique, 8)
  return header
}

function millis (time: Date | number): number {
  return typeof time === 'number' ? time : time.getTime()
}

function writeTime (buffer: Buffer, secondsAt: number, nanosAt: number, time: Date | number): void {
  const ms = millis(time)
  const seconds = Math.floor(ms / 1000)
  writeI64(buffer, seconds, secondsAt)
  buffer.writeUInt32LE(Math.round((ms - seconds * 1000) * 1e6), nanosAt)
}

/** fuse_attr at `at`. */
function writeAttr (buffer: Buffer, at: number, nodeid: number, stat: Stat): void {
  const blksize = stat.blksize ?? 4096
  writeU64(buffer, stat.ino ?? nodeid, at)
  writeU64(buffer, stat.size, at + 8)
  writeU64(buffer, stat.blocks ?? Math.ceil(stat.size / 512), at + 16)
  writeTime(buffer, at + 24, at + 48, stat.atime)
  writeTime(buffer, at + 32, at + 52, stat.mtime)
  writeTime(buffer, at + 40, at + 56, stat.ctime)
  buffer.writeUInt32LE(stat.mode >>> 0, at + 60)
  buffer.writeUInt32LE(stat.nlink ?? 1, at + 64)
  buffer.writeUInt32LE(stat.uid >>> 0, at + 68)
  buffer.writeUInt32LE(stat.gid >>> 0, at + 72)
  buffer.writeUInt32LE(stat.rdev ?? 0, at + 76)
  buffer.writeUInt32LE(blksize, at + 80)
  buffer.writeUInt32LE(0, at + 84)
}

function writeValid (buffer: Buffer, secondsAt: number, nanosAt: number, seconds: number): void {
  const whole = Math.floor(seconds)
  writeU64(buffer, whole, secondsAt)
  buffer.writeUInt32LE(Math.round((seconds - whole) * 1e9), nanosAt)
}

/** fuse_entry_out at `at` (LOOKUP, MKDIR, CREATE's first part, READDIRPLUS). */
function writeEntry (buffer: Buffer, at: number, nodeid: number, stat: Stat, cache: CacheTimes): void {
  writeU64(buffer, nodeid, at)
  writeU64(buffer, 0, at + 8)
  writeValid(buffer, at + 16, at + 32, nodeid === 0 ? 0 : cache.entrySeconds)
  writeValid(buffer, at + 24, at + 36, stat.keepSeconds ?? cache.attrSeconds)
  writeAttr(buffer, at + 40, nodeid, stat)
}

export function entryOut (nodeid: number, stat: Stat, cache: CacheTimes): Buffer {
  // Every byte is written: no need to zero it first.
  const body = Buffer.allocUnsafe(Size.ENTRY_OUT)
  writeEntry(body, 0, nodeid, stat, cache)
  return body
}

export function attrOut (nodeid: number, stat: Stat, attrSeconds: number): Buffer {
  const body = Buffer.allocUnsafe(Size.ATTR_OUT)
  writeValid(body, 0, 8, stat.keepSeconds ?? attrSeconds)
  body.writeUInt32LE(0, 12)
  writeAttr(body, 16, nodeid, stat)
  return body
}

export function openOut (fh: number, openFlags: number): Buffer {
  const body = Buffer.alloc(Size.OPEN_OUT)
  writeU64(body, fh, 0)
  body.writeUInt32LE(openFlags, 8)
  return body
}

/** CREATE: an entry and an open file in one reply. */
export function createOut (nodeid: number, stat: Stat, cache: CacheTimes, fh: number, openFlags: number): Buffer {
  return Buffer.concat([entryOut(nodeid, stat, cache), openOut(fh, openFlags)])
}

export function writeOut (size: number): Buffer {
  const body = Buffer.alloc(Size.WRITE_OUT)
  body.writeUInt32LE(size, 0)
  return body
}

/** GETXATTR and LISTXATTR asked with size 0: how many bytes the value or the list takes. */
export function xattrSizeOut (size: number): Buffer {
  const body = Buffer.alloc(Size.GETXATTR_OUT)
  body.writeUInt32LE(size, 0)
  return body
}

export function statfsOut (space: Statfs): Buffer {
  const body = Buffer.alloc(Size.STATFS_OUT)
  writeU64(body, space.blocks, 0)
  writeU64(body, space.bfree, 8)
  writeU64(body, space.bavail, 16)
  writeU64(body, space.files, 24)
  writeU64(body, space.ffree, 32)
  body.writeUInt32LE(space.bsize, 40)
  body.writeUInt32LE(space.namemax, 44)
  body.writeUInt32LE(space.frsize, 48)
  return body
}

export interface InitReply {
  minor: number
  maxReadahead: number
  flags: number
  maxBackground: number
  congestionThreshold: number
  maxWrite: number
  maxPages: number
}

export function initOut (reply: InitReply): Buffer {
  const body = Buffer.alloc(Size.INIT_OUT)
  body.writeUInt32LE(7, 0)
  body.writeUInt32LE(reply.minor, 4)
  body.writeUInt32LE(reply.maxReadahead, 8)
  body.writeUInt32LE(reply.flags >>> 0, 12)
  body.writeUInt16LE(reply.maxBackground, 16)
  body.writeUInt16LE(reply.congestionThreshold, 18)
  body.writeUInt32LE(reply.maxWrite, 20)
  body.writeUInt32LE(1, 24) // time granularity: nanoseconds
  body.writeUInt16LE(reply.maxPages, 28)
  return body
}

/** The kernel's DT_* type of a mode, for directory entries. */
function direntType (mode: number): number {
  return (mode & 0o170000) >>> 12
}

const align8 = (n: number): number => (n + 7) & ~7

export interface DirectoryEntry {
  name: string
  /** Its attributes, when known: READDIRPLUS then hands the kernel an entry for it. */
  stat?: Stat
  /** Its inode number for getdents(2). */
  ino: number
  /** The kernel's type of it (mode's file type bits); 0 when unknown. */
  mode: number
}

/** The inode number readdir shows for an entry whose number is not known (libfuse's too). */
export const UNKNOWN_INO = 0xffffffff

/** What READDIRPLUS hands the kernel of one entry: its node id (a reference the kernel counts) and attributes. */
export interface PlusEntry {
  nodeid: number
  stat: Stat
}

/**
 * READDIR's or READDIRPLUS's reply: entries from index `offset` on, as many as fit in `size`
 * bytes; each entry's `off` is the index of the next, where a following call resumes. For
 * READDIRPLUS, `plusEntry` gives an entry's node id and attributes as it is paged, and is called
 * only for the entries that fit; an entry it gives nothing for goes with node id 0, which tells
 * the kernel to look it up itself.
 */
export function direntsOut (entries: DirectoryEntry[], offset: number, size: number, cache: CacheTimes, plusEntry?: (entry: DirectoryEntry) => PlusEntry | undefined): Buffer {
  const base = plusEntry ? Size.ENTRY_OUT + Size.DIRENT_BASE : Size.DIRENT_BASE
  const at = plusEntry ? Size.ENTRY_OUT : 0
  // Zeroed: an entry's name is padded with NULs to 8 bytes, and an entry READDIRPLUS gives
  // nothing for goes out as node id 0.
  const out = Buffer.alloc(size)
  let used = 0
  for (let i = offset; i < entries.length; i++) {
    const entry = entries[i]!
    const nameLength = Buffer.byteLength(entry.name)
    const length = align8(base + nameLength)
    if (used + length > size) break
    const plus = plusEntry?.(entry)
    if (plus) writeEntry(out, used, plus.nodeid, plus.stat, cache)
    writeU64(out, entry.ino, used + at)
    writeU64(out, i + 1, used + at + 8)
    out.writeUInt32LE(nameLength, used + at + 16)
    out.writeUInt32LE(direntType(entry.mode), used + at + 20)
    out.write(entry.name, used + at + Size.DIRENT_BASE)
    used += length
  }
  return out.subarray(0, used)
}

/** A notification: the out-header's unique is 0 and its error the notification's code. */
function notification (code: number, body: Buffer): Buffer[] {
  return [outHeader(body.length, code, 0n), body]
}

/** The kernel drops what it caches of `nodeid`'s attributes (and, with `dataToo`, its pages). */
export function invalInode (nodeid: number, dataToo: boolean): Buffer[] {
  const body = Buffer.alloc(Size.NOTIFY_INVAL_INODE)
  writeU64(body, nodeid, 0)
  writeI64(body, dataToo ? 0 : -1, 8)
  writeI64(body, 0, 16)
  return notification(Notify.INVAL_INODE, body)
}

/** The kernel queues the requests no server answered again (see FuseSession.resume). */
export function resend (): Buffer[] {
  return notification(Notify.RESEND, Buffer.alloc(0))
}

/** The kernel forgets the name `name` in directory `parent` (another host removed or renamed it). */
export function invalEntry (parent: number, name: string): Buffer[] {
  const encoded = Buffer.from(name)
  const body = Buffer.alloc(Size.NOTIFY_INVAL_ENTRY + encoded.length + 1)
  writeU64(body, parent, 0)
  body.writeUInt32LE(encoded.length, 8)
  encoded.copy(body, Size.NOTIFY_INVAL_ENTRY)
  return notification(Notify.INVAL_ENTRY, body)
}
