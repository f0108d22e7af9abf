import { fuseLog } from '../log'
import { Errno } from '../fuse/errno'
import { isTopicError } from '../topics/errors'

export { Errno }
export type { ErrnoName } from '../fuse/errno'

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
