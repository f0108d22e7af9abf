/**
 * The kernel's FUSE protocol (include/uapi/linux/fuse.h), as much of it as dnpipes speaks: the
 * opcodes, the INIT flags, the attribute-change bits and the sizes of the fixed parts of
 * requests and replies. Defined here rather than read from the installed headers, which lag the
 * running kernel (see ../../FACTS in the shared notes): what is used is what is written here.
 */

export const FUSE_KERNEL_VERSION = 7
/** The newest minor whose structures this code knows; a newer kernel is answered with this one. */
export const FUSE_KERNEL_MINOR_VERSION = 38
/** The oldest minor accepted: create's umask (7.12) and 64-byte INIT replies (7.23) are assumed. */
export const FUSE_OLDEST_MINOR_VERSION = 23

export const Opcode = {
  LOOKUP: 1,
  FORGET: 2,
  GETATTR: 3,
  SETATTR: 4,
  READLINK: 5,
  SYMLINK: 6,
  MKNOD: 8,
  MKDIR: 9,
  UNLINK: 10,
  RMDIR: 11,
  RENAME: 12,
  LINK: 13,
  OPEN: 14,
  READ: 15,
  WRITE: 16,
  STATFS: 17,
  RELEASE: 18,
  FSYNC: 20,
  SETXATTR: 21,
  GETXATTR: 22,
  LISTXATTR: 23,
  REMOVEXATTR: 24,
  FLUSH: 25,
  INIT: 26,
  OPENDIR: 27,
  READDIR: 28,
  RELEASEDIR: 29,
  FSYNCDIR: 30,
  ACCESS: 34,
  CREATE: 35,
  INTERRUPT: 36,
  DESTROY: 38,
  BATCH_FORGET: 42,
  READDIRPLUS: 44,
  RENAME2: 45
} as const

export type OpcodeName = keyof typeof Opcode

/** INIT flags (the low 32 bits; flags2 holds the high ones). */
export const InitFlag = {
  ASYNC_READ: 1 << 0,
  ATOMIC_O_TRUNC: 1 << 3,
  BIG_WRITES: 1 << 5,
  DO_READDIRPLUS: 1 << 13,
  READDIRPLUS_AUTO: 1 << 14,
  PARALLEL_DIROPS: 1 << 18,
  MAX_PAGES: 1 << 22
} as const

/** SETATTR's `valid` bits: which fields of the request are set. */
export const SetattrValid = {
  MODE: 1 << 0,
  UID: 1 << 1,
  GID: 1 << 2,
  SIZE: 1 << 3,
  ATIME: 1 << 4,
  MTIME: 1 << 5,
  FH: 1 << 6,
  ATIME_NOW: 1 << 7,
  MTIME_NOW: 1 << 8
} as const

/** OPEN and CREATE reply flags. */
export const OpenFlag = {
  DIRECT_IO: 1 << 0,
  KEEP_CACHE: 1 << 1,
  NONSEEKABLE: 1 << 2
} as const

/** GETATTR's flag: `fh` is set (an fstat). */
export const GETATTR_FH = 1
/** RELEASE's flag: flush as well (a close that skipped FLUSH). */
export const RELEASE_FLUSH = 1

/** Notification codes, sent as the `error` of a reply whose unique is 0. */
export const Notify = {
  INVAL_INODE: 2,
  INVAL_ENTRY: 3,
  /** Requests read by a server that died go back to the queue, to be read again (6.9 on). */
  RESEND: 7
} as const

/** flags2's FUSE_HAS_RESEND (bit 39 of the INIT flags): the kernel takes Notify.RESEND. */
export const HAS_RESEND_FLAG2 = 1 << (39 - 32)
/** Bit 63 of a resent request's unique: the reply carries it too. */
export const UNIQUE_RESEND = 1n << 63n

export const ROOT_ID = 1

/** Sizes of the fixed parts, in bytes. */
export const Size = {
  IN_HEADER: 40,
  OUT_HEADER: 16,
  INIT_IN_BASE: 16,
  INIT_OUT: 64,
  ATTR: 88,
  ENTRY_OUT: 128,
  ATTR_OUT: 104,
  OPEN_OUT: 16,
  WRITE_OUT: 8,
  STATFS_OUT: 80,
  GETXATTR_OUT: 8,
  DIRENT_BASE: 24,
  GETATTR_IN: 16,
  SETATTR_IN: 88,
  MKNOD_IN: 16,
  MKDIR_IN: 8,
  RENAME_IN: 8,
  RENAME2_IN: 16,
  LINK_IN: 8,
  OPEN_IN: 8,
  CREATE_IN: 16,
  RELEASE_IN: 24,
  FLUSH_IN: 24,
  READ_IN: 40,
  WRITE_IN: 40,
  FSYNC_IN: 16,
  SETXATTR_IN: 8,
  GETXATTR_IN: 8,
  ACCESS_IN: 8,
  INTERRUPT_IN: 8,
  FORGET_IN: 8,
  BATCH_FORGET_IN: 8,
  FORGET_ONE: 16,
  NOTIFY_INVAL_INODE: 24,
  NOTIFY_INVAL_ENTRY: 16
} as const

/**
 * The largest write the kernel is told it may send (and so the largest read it asks for), with
 * MAX_PAGES: 256 pages of 4 KiB.
 */
export const MAX_WRITE = 1 << 20
export const MAX_PAGES = 256
/** A request never exceeds the largest write plus its headers; the kernel wants at least this. */
export const REQUEST_BUFFER_SIZE = MAX_WRITE + 4096
