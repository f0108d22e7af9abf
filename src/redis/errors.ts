import { ReplyError } from 'ioredis'
import { TimeoutError } from '../util/deadline'

/**
 * ioredis's failures as types. ioredis tells them apart only by their text; this module is the
 * one place that reads it, so that no other layer matches messages.
 */

/** Redis did not answer within the command timeout (the command may still be applied). */
export class RedisTimeoutError extends TimeoutError {
  constructor () {
    super('Redis did not answer within the command timeout')
    this.name = 'RedisTimeoutError'
  }
}

/** No connection to send on (closed, reconnecting, or no node for the slot). */
export class RedisUnavailableError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'RedisUnavailableError'
  }
}

/** An error reply. `code` is its first word: ERR, OOM, READONLY, NOPERM, WRONGTYPE, MOVED, … */
export class RedisReplyError extends Error {
  constructor (readonly code: string, message: string) {
    super(message)
    this.name = 'RedisReplyError'
  }
}

const CODE = /^[A-Z][A-Z_]*(?= |$)/
const TIMED_OUT = 'Command timed out'
const UNAVAILABLE = [/^Connection is closed\.?$/, /^Stream isn't writeable/, /Cluster/, /^None of startup nodes is available/, /slots cache/]

/** Whether ioredis raised `err` for an error reply (its ReplyError, from redis-errors). */
function isReplyError (err: Error): boolean {
  return err instanceof (ReplyError as ErrorConstructor)
}

/** The code of a Redis error reply text: its first word when that is one in capitals, else ERR. */
export function replyCode (message: string): string {
  return CODE.exec(message)?.[0] ?? 'ERR'
}

/** `err` as one of the types above when ioredis raised it; anything else unchanged. */
export function typedRedisError (err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof RedisReplyError || err instanceof TimeoutError || err instanceof RedisUnavailableError) return err
  if (isReplyError(err)) return new RedisReplyError(replyCode(err.message), err.message)
  if (err.message === TIMED_OUT) return new RedisTimeoutError()
  if (UNAVAILABLE.some(pattern => pattern.test(err.message))) return new RedisUnavailableError(err.message)
  return err
}

/** The same promise, its failure typed. */
export function typed<T> (promise: Promise<T>): Promise<T> {
  return promise.catch(err => { throw typedRedisError(err) })
}

/** Replies of a Redis that is starting, failing over or busy: the same command works later. */
const TRANSIENT_REPLIES = new Set(['LOADING', 'BUSY', 'CLUSTERDOWN', 'TRYAGAIN', 'MASTERDOWN', 'NOREPLICAS'])
/** Socket errors of a link that is down or was cut. */
const TRANSIENT_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTCONN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT'])

/**
 * Whether `err` (as typedRedisError gives it) says only that Redis cannot answer now (down,
 * restarting, frozen, failing over), so that waiting and trying again is right.
 */
export function isTransient (err: unknown): boolean {
  if (err instanceof TimeoutError || err instanceof RedisUnavailableError) return true
  if (err instanceof RedisReplyError) return TRANSIENT_REPLIES.has(err.code)
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return typeof code === 'string' && TRANSIENT_SOCKET_CODES.has(code)
}
