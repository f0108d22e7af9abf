import Redis, { RedisOptions } from 'ioredis'
import { redisLog } from '../log'
import { withDeadline } from '../util/deadline'

/** Where the topics live: a Redis URL, or the unix socket of the embedded server. */
export type RedisTarget =
  | { kind: 'url', url: string }
  | { kind: 'socket', path: string }

/** The target as it may be shown to a user: never with its password. */
export function describeTarget (target: RedisTarget): string {
  if (target.kind === 'socket') return `embedded redis-server at ${target.path}`
  try {
    const url = new URL(target.url)
    if (url.password) url.password = '***'
    return url.toString()
  } catch {
    return 'the Redis URL given (it does not parse as a URL)'
  }
}

export interface ConnectOptions {
  /** Connection name shown by CLIENT LIST. */
  name: string
  /** How long connecting and the first reply may take before giving up. @default 4000 */
  connectTimeoutMs?: number
  /**
   * Longest wait for any one reply. Besides bounding waits, it settles the commands that ioredis
   * would otherwise leave pending forever: with autoResendUnfulfilledCommands off, the commands
   * in flight when a connection breaks are dropped without being rejected. @default 5000
   */
  commandTimeoutMs?: number
}

/** Streams with exclusive ranges and XADD in scripts as used here need Redis 6.2. */
const MINIMUM_VERSION = [6, 2]

export async function connectRedis (target: RedisTarget, options: ConnectOptions): Promise<Redis> {
  const deadline = options.connectTimeoutMs ?? 4000
  const common: RedisOptions = {
    lazyConnect: true,
    connectionName: options.name,
    protocol: 2,
    connectTimeout: Math.min(deadline, 3000),
    // A command in flight when the connection broke may have been applied: resending it could
    // append the same lines twice. It fails instead ("a write that failed may or may not have
    // been applied"); so do commands issued while disconnected, at once, rather than waiting.
    autoResendUnfulfilledCommands: false,
    enableOfflineQueue: false,
    // Reconnect quickly once Redis is back (the default backs off up to 5 s).
    retryStrategy: (times: number) => Math.min(times * 100, 500),
    keepAlive: 5000,
    commandTimeout: options.commandTimeoutMs ?? 5000
  }
  const redis = target.kind === 'socket'
    ? new Redis({ ...common, path: target.path })
    : new Redis(target.url, common)
  let lastError: Error | undefined
  redis.on('error', err => {
    lastError = err
    redisLog('%s: %s', describeTarget(target), err.message)
  })
  redis.on('ready', () => redisLog('connected to %s', describeTarget(target)))
  try {
    const info = await withDeadline(redis.connect().then(() => redis.info('server')), deadline, 'the Redis handshake')
    const version = /redis_version:(\d+)\.(\d+)/.exec(info)
    if (version && (Number(version[1]) < MINIMUM_VERSION[0]! ||
        (Number(version[1]) === MINIMUM_VERSION[0] && Number(version[2]) < MINIMUM_VERSION[1]!))) {
      throw new Error(`Redis ${version[1]}.${version[2]} is too old; dnpipes needs ${MINIMUM_VERSION.join('.')} or newer`)
    }
    return redis
  } catch (err) {
    redis.disconnect()
    const cause = lastError && (err as Error).message === 'Connection is closed.' ? lastError : err as Error
    throw new Error(`cannot use Redis at ${describeTarget(target)}: ${cause.message}`)
  }
}
