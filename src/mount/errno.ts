import { isTopicError } from '../topics/errors'
import { fuseLog } from '../log'

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

function isErrnoName (name: string): name is ErrnoName {
  return Object.prototype.hasOwnProperty.call(Errno, name)
}

/** Redis replies that have a natural errno; anything else is EIO. */
const REDIS_REPLY_ERRNO: Array<[prefix: string, errno: ErrnoName]> = [
  ['OOM', 'ENOSPC'],
  ['READONLY', 'EROFS'],
  ['NOPERM', 'EACCES']
]

/** The negative errno for an error from the topic layer, Redis or the deadline. */
export function toErrno (err: unknown): number {
  if (isTopicError(err)) return Errno[err.code]
  const message = err instanceof Error ? err.message : String(err)
  // Scripts answer "ESTALE …", "ENOENT …": an errno name leading the reply.
  const leading = /^(?:ERR )?(?:Error running script[^:]*: )?([A-Z]+)\b/.exec(message)?.[1]
  if (leading && leading.startsWith('E') && isErrnoName(leading)) return Errno[leading]
  for (const [prefix, errno] of REDIS_REPLY_ERRNO) {
    if (message.startsWith(prefix)) return Errno[errno]
  }
  fuseLog('answering EIO for: %s', message)
  return Errno.EIO
}

export function errnoName (code: number): string {
  for (const [name, value] of Object.entries(Errno)) if (value === code) return name
  return String(code)
}
