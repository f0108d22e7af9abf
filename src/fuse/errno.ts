/**
 * Every errno value dnpipes answers (the mount's operations and the FUSE layer's own answers).
 * Values are Linux's, negated as FUSE wants them. src/mount/errno.ts turns an error from any
 * layer into one of them.
 */
export const Errno = {
  EPERM: -1,
  ENOENT: -2,
  EINTR: -4,
  EIO: -5,
  EBADF: -9,
  EACCES: -13,
  EEXIST: -17,
  EXDEV: -18,
  ENOTDIR: -20,
  EISDIR: -21,
  EINVAL: -22,
  ENOSPC: -28,
  EROFS: -30,
  ERANGE: -34,
  ENAMETOOLONG: -36,
  ENOSYS: -38,
  ENOTEMPTY: -39,
  ENODATA: -61,
  EPROTO: -71,
  EILSEQ: -84,
  ENOTSUP: -95,
  ENOTCONN: -107,
  ETIMEDOUT: -110,
  ESTALE: -116
} as const

export type ErrnoName = keyof typeof Errno
