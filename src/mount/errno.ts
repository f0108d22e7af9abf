import { fuseLog } from '../log'
import { isTopicError } from '../topics/errors'

/**
 * Every errno value dnpipes answers, and the one place that turns an error from any layer into
 * one. Values are Linux's, negated as FUSE wants them.
 */
export const Errno = {
  EPERM: -1,
  ENOENT: -2,
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
  EILSEQ: -84,
  ENOTSUP: -95,
  ETIMEDOUT: -110,
  ESTALE: -116
} as const

export type ErrnoName = keyof typeof Errno

/**
 * The negative errno for a failure: a TopicError's own code (the topic layer has already typed
 * Redis's replies, see src/topics/errors.ts); anything else (a timeout, a lost connection, a
 * reply with no natural errno) is EIO, logged.
 */
export function toErrno (err: unknown): number {
  if (isTopicError(err)) return Errno[err.code]
  fuseLog('answering EIO for: %s', err instanceof Error ? `${err.name}: ${err.message}` : String(err))
  return Errno.EIO
}

export function errnoName (code: number): string {
  for (const [name, value] of Object.entries(Errno)) if (value === code) return name
  return String(code)
}
