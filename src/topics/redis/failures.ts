import { RedisReplyError, typedRedisError } from '../../redis/errors'
import { TOPIC_ERROR_CODES, TopicError, TopicErrorCode } from '../errors'

/**
 * The Redis engine's failures as the model knows them: its scripts' replies and the replies
 * with a natural errno become TopicErrors; the two replies only the append path acts on get
 * types of their own.
 */

/** The append script found entries another client added or removed: nothing was applied. */
export class UnreconciledError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'UnreconciledError'
  }
}

/** append-at.lua cannot account a payload at the id it was given: it goes through append.lua. */
export class UnplacedError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'UnplacedError'
  }
}

/** The codes dnpipes' scripts answer with (lua/*.lua: redis.error_reply('CODE why')). */
const SCRIPT_CODES: ReadonlySet<string> = new Set([...TOPIC_ERROR_CODES, 'UNRECONCILED', 'UNPLACED'])

/**
 * A reply one of our scripts wrote, as it wrote it ("ESTALE the topic was removed…"): Redis
 * passes it on as it is, or with "ERR " before it when it does not take the first word for a code.
 */
function scriptReply (reply: RedisReplyError): { code: string, message: string } | undefined {
  const message = reply.code === 'ERR' ? reply.message.slice('ERR '.length) : reply.message
  const code = /^[A-Z_]+(?= |$)/.exec(message)?.[0]
  return code !== undefined && SCRIPT_CODES.has(code) ? { code, message } : undefined
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
 * "UNRECONCILED …", "UNPLACED …") and the replies with a natural errno become TopicErrors, an
 * UnreconciledError or an UnplacedError; timeouts and lost connections keep the types src/redis/errors.ts gives them.
 */
export function toTopicFailure (err: unknown): unknown {
  const typed = typedRedisError(err)
  if (!(typed instanceof RedisReplyError)) return typed
  const script = scriptReply(typed)
  if (script) {
    if (script.code === 'UNRECONCILED') return new UnreconciledError(script.message)
    if (script.code === 'UNPLACED') return new UnplacedError(script.message)
    if (isTopicErrorCode(script.code)) return new TopicError(script.code, script.message)
  }
  const mapped = REPLY_CODES[typed.code]
  return mapped ? new TopicError(mapped, typed.message) : typed
}
