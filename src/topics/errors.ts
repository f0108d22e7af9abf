import { TimeoutError } from '../util/deadline'

/** POSIX error names the topic layer reports; the FUSE side turns them into errno values. */
export const TOPIC_ERROR_CODES = [
  'ENOENT', 'EEXIST', 'ENOTDIR', 'EISDIR', 'ENOTEMPTY', 'EINVAL', 'ENAMETOOLONG', 'EPERM', 'EXDEV',
  'EBADF', 'ENOTSUP', 'EILSEQ', 'ESTALE', 'EROFS', 'EIO', 'ETIMEDOUT', 'ENOSPC', 'EACCES', 'ENODATA', 'EINTR'
] as const

export type TopicErrorCode = typeof TOPIC_ERROR_CODES[number]

export class TopicError extends Error {
  constructor (readonly code: TopicErrorCode, message: string) {
    super(message)
    this.name = 'TopicError'
  }
}

export function isTopicError (err: unknown): err is TopicError {
  return err instanceof TopicError
}

/** Socket errors of a link that is down or was cut. */
const TRANSIENT_SOCKET_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTCONN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT'])

/**
 * A failure that says only that the engine cannot answer now (down, restarting, frozen, failing
 * over), so that a reader waits and tries again. An engine marks its own failure types so with a
 * `transient` property; a timeout and a cut link are transient whatever the engine.
 */
export interface TransientFailure {
  readonly transient: true
}

export function isTransientFailure (err: unknown): boolean {
  if (err instanceof TimeoutError) return true
  if (typeof err !== 'object' || err === null) return false
  if ((err as Partial<TransientFailure>).transient === true) return true
  const code = (err as NodeJS.ErrnoException).code
  return typeof code === 'string' && TRANSIENT_SOCKET_CODES.has(code)
}
