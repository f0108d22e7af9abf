import { ReplyError } from 'ioredis'
import { TimeoutError } from '../util/deadline'

/**
 * ioredis's failures as types. ioredis tells them apart only by their text; this module is the
 * one place that reads it, so that no other layer matches messages.
 */

/** Replies of a Redis that is starting, failing over or busy: the same command works later. */
const TRANSIENT_REPLIES: ReadonlySet<string> = new Set(['LOADING', 'BUSY', 'CLUSTERDOWN', 'TRYAGAIN', 'MASTERDOWN', 'NOREPLICAS'])

/**
 * Each type says whether it is transient (src/topics/errors.ts): whether it tells only that Redis
 * cannot answer now (down, restarting, frozen, failing over), so that waiting and trying again is right.
 */

/** Redis did not answer within the command timeout (the command may still be applied). */
export class RedisTimeoutError extends TimeoutError {
  constructor () {
    super('Redis did not answer within the command timeout')
    this.name = 'RedisTimeoutError'
  }

  readonly transient = true
}

/** No connection to send on (closed, reconnecting, or no node for the slot). */
export class RedisUnavailableError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'RedisUnavailableError'
  }

  readonly transient = true
}

/** An error reply. `code` is its first word: ERR, OOM, READONLY, NOPERM, WRONGTYPE, MOVED, … */
export class RedisReplyError extends Error {
  constructor (readonly code: string, message: string) {
    super(message)
    this.name = 'RedisReplyError'
  }

  get transient (): boolean {
    return TRANSIENT_REPLIES.has(this.code)
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
