import { RedisReplyError, typedRedisError } from '../redis/errors'

/** POSIX error names the topic layer reports; the FUSE side turns them into errno values. */
export const TOPIC_ERROR_CODES = [
  'ENOENT', 'EEXIST', 'ENOTDIR', 'EISDIR', 'ENOTEMPTY', 'EINVAL', 'ENAMETOOLONG', 'EPERM', 'EXDEV',
  'EBADF', 'ENOTSUP', 'EILSEQ', 'ESTALE', 'EROFS', 'EIO', 'ETIMEDOUT', 'ENOSPC', 'EACCES'
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

/** The append script found entries another client added or removed: nothing was applied. */
export class UnreconciledError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'UnreconciledError'
  }
}

function isTopicErrorCode (code: string): code is TopicErrorCode {
  return (TOPIC_ERROR_CODES as readonly string[]).includes(code)
}

/** Redis replies that have a natural errno; any other reply stays a RedisReplyError (EIO). */
const REPLY_CODES: Readonly<Record<string, TopicErrorCode>> = {
  OOM: 'ENOSPC',
  READONLY: 'EROFS',
  NOPERM: 'EACCES'
}

/**
 * Any failure of a Redis command or script, typed: the scripts' own replies ("ESTALE …",
 * "UNRECONCILED …") and the replies with a natural errno become TopicErrors or an
 * UnreconciledError; timeouts and lost connections keep the types src/redis/errors.ts gives them.
 */
export function toTopicFailure (err: unknown): unknown {
  const typed = typedRedisError(err)
  if (!(typed instanceof RedisReplyError)) return typed
  // A script's reply as it wrote it ("ESTALE the topic was removed…"), without Redis's "ERR ".
  const message = typed.message.replace(/^ERR (?=[A-Z_]+ )/, '')
  if (typed.code === 'UNRECONCILED') return new UnreconciledError(message)
  if (isTopicErrorCode(typed.code)) return new TopicError(typed.code, message)
  const mapped = REPLY_CODES[typed.code]
  return mapped ? new TopicError(mapped, typed.message) : typed
}
