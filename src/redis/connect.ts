import { readFileSync } from 'node:fs'
import Redis, { Cluster, RedisOptions } from 'ioredis'
import { redisLog } from '../log'
import { redactUrl } from '../util/redact-url'
import { DEFAULTS } from '../options'
import { TimeoutError, withDeadline } from '../util/deadline'
import { RedisReplyError, RedisUnavailableError, typedRedisError } from './errors'

/** TLS material, as file paths (read when connecting). */
export interface TlsFiles {
  ca?: string
  cert?: string
  key?: string
}

/** Where the topics live, and how to authenticate. Secrets are never part of a description. */
export type RedisTarget =
  | { kind: 'url', url: string, tls?: TlsFiles, passwordFile?: string }
  | { kind: 'socket', path: string }
  | { kind: 'sentinel', sentinels: Array<{ host: string, port: number }>, name: string, url?: string, tls?: TlsFiles, passwordFile?: string }
  | { kind: 'cluster', seeds: Array<{ host: string, port: number }>, url?: string, tls?: TlsFiles, passwordFile?: string }

/** A standalone or Sentinel-managed connection, or a Redis Cluster. */
export type RedisClient = Redis | Cluster

/** The target as it may be shown to a user: never with its password. */
export function describeTarget (target: RedisTarget): string {
  if (target.kind === 'socket') return `embedded redis-server at ${target.path}`
  if (target.kind === 'cluster') return `Redis Cluster ${target.seeds.map(s => `${s.host}:${s.port}`).join(',')}`
  if (target.kind === 'sentinel') return `master "${target.name}" via Sentinel ${target.sentinels.map(s => `${s.host}:${s.port}`).join(',')}`
  return redactUrl(target.url)
}

/** "h1:26379,h2:26379" -> addresses. */
export function parseHostList (value: string, defaultPort: number): Array<{ host: string, port: number }> {
  return value.split(',').map(item => item.trim()).filter(Boolean).map(item => {
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(item)
    if (!match) throw new Error(`"${item}" is not HOST or HOST:PORT`)
    return { host: match[1]!.replace(/^\[|\]$/g, ''), port: match[2] ? Number(match[2]) : defaultPort }
  })
}

function readSecret (file: string): string {
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '')
  } catch (err) {
    throw new Error(`cannot read the password file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

function tlsOptions (files: TlsFiles | undefined, wanted: boolean): RedisOptions['tls'] {
  if (!wanted && !files?.ca && !files?.cert && !files?.key) return undefined
  const read = (file: string | undefined, what: string): Buffer | undefined => {
    if (!file) return undefined
    try {
      return readFileSync(file)
    } catch (err) {
      throw new Error(`cannot read the TLS ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
    }
  }
  return { ca: read(files?.ca, 'CA'), cert: read(files?.cert, 'certificate'), key: read(files?.key, 'key') }
}

/** Credentials and TLS from a URL (redis://user:password@host:port/db, rediss:// for TLS). */
function urlOptions (value: string, passwordFile: string | undefined, tls: TlsFiles | undefined): RedisOptions {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new Error(`${redactUrl(value)}: expected redis://[user:password@]host[:port][/db] or rediss://…`)
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error(`${redactUrl(value)}: the scheme must be redis:// or rediss://`)
  const db = url.pathname.replace(/^\//, '')
  return {
    host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: url.port ? Number(url.port) : 6379,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: passwordFile ? readSecret(passwordFile) : url.password ? decodeURIComponent(url.password) : undefined,
    db: db ? Number(db) : undefined,
    tls: tlsOptions(tls, url.protocol === 'rediss:')
  }
}

/**
 * User, password and TLS for Sentinel and Cluster targets, whose addresses come from elsewhere:
 * from the optional URL (its host is not used) and the password file.
 */
function credentials (target: { url?: string, tls?: TlsFiles, passwordFile?: string }): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  if (target.url) return urlOptions(target.url, target.passwordFile, target.tls)
  return { password: target.passwordFile ? readSecret(target.passwordFile) : undefined, tls: tlsOptions(target.tls, false) }
}

/** Replies to AUTH (or to a command sent without it) that mean the credentials are wrong. */
const AUTH_REPLIES = new Set(['WRONGPASS', 'NOAUTH'])
/** Node's codes for a server certificate that no trusted CA vouches for. */
const UNTRUSTED_CERTIFICATE = /SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|CERT_/

/** A clearer message for the failures a user can fix. */
function explain (err: Error): string {
  const typed = typedRedisError(err)
  if (typed instanceof RedisReplyError && AUTH_REPLIES.has(typed.code)) return `authentication failed (${err.message.trim()})`
  if (UNTRUSTED_CERTIFICATE.test((err as NodeJS.ErrnoException).code ?? '')) {
    return `TLS: the server's certificate is not trusted (${err.message}); pass its CA with --tls-ca`
  }
  return err.message
}

export interface ConnectOptions {
  /** Connection name shown by CLIENT LIST. */
  name: string
  /** How long connecting and the first reply may take before giving up. @default 3000 */
  connectTimeoutMs?: number
  /**
   * Longest wait for any one reply: the op timeout. Besides bounding waits, it settles the
   * commands that ioredis would otherwise leave pending forever: with
   * autoResendUnfulfilledCommands off, the commands in flight when a connection breaks are
   * dropped without being rejected. @default 5000
   */
  commandTimeoutMs?: number
}

/**
 * The command timeout `redis` was made with (connectRedis sets it to the op timeout); the
 * connections dnpipes opens beside it wait as long. A client made elsewhere without one gets
 * the default op timeout.
 */
export function commandTimeoutOf (redis: RedisClient): number {
  const options = redis.isCluster ? (redis as Cluster).options.redisOptions : (redis as Redis).options
  return options?.commandTimeout ?? DEFAULTS.redis.opTimeout
}

/** The TCP connect itself, at most; whatever is left of the handshake's budget goes to AUTH, SELECT and INFO. */
const SOCKET_CONNECT_MS = 2500
/** Reconnect attempts back off 100 ms at a time, to at most this: Redis is back within half a second. */
const MAX_RECONNECT_DELAY_MS = 500
const RECONNECT_STEP_MS = 100
/** TCP keepalive probes: a peer that vanished is noticed even on an idle connection. */
const KEEPALIVE_MS = 5000
/** Retry pause while a Cluster reports CLUSTERDOWN or a failover is under way. */
const CLUSTER_RETRY_MS = 100
/** A CLUSTER SLOTS refresh that takes longer than this is given up and retried. */
const SLOTS_REFRESH_MS = 2000

const backoff = (times: number): number => Math.min(times * RECONNECT_STEP_MS, MAX_RECONNECT_DELAY_MS)

/** Streams with exclusive ranges and XADD in scripts as used here need Redis 6.2. */
const MINIMUM_VERSION = [6, 2]

export async function connectRedis (target: RedisTarget, options: ConnectOptions): Promise<RedisClient> {
  const deadline = options.connectTimeoutMs ?? DEFAULTS.redis.connectTimeoutMs
  let common: RedisOptions = {
    lazyConnect: true,
    connectionName: options.name,
    protocol: 2,
    connectTimeout: Math.min(deadline, SOCKET_CONNECT_MS),
    // A command in flight when the connection broke may have been applied: resending it could
    // append the same lines twice. It fails instead ("a write that failed may or may not have
    // been applied"); so do commands issued while disconnected, at once, rather than waiting.
    autoResendUnfulfilledCommands: false,
    enableOfflineQueue: false,
    // Reconnect quickly once Redis is back (the default backs off up to 5 s).
    retryStrategy: backoff,
    keepAlive: KEEPALIVE_MS,
    commandTimeout: options.commandTimeoutMs ?? DEFAULTS.redis.opTimeout
  }
  let redis: RedisClient
  try {
    if (target.kind === 'cluster') {
      const auth = credentials(target)
      const { lazyConnect: _lazy, enableOfflineQueue: _queue, retryStrategy: _retry, ...nodeOptions } = common
      redis = new Redis.Cluster(target.seeds, {
        lazyConnect: true,
        enableOfflineQueue: false,
        clusterRetryStrategy: backoff,
        // A failover shows as CLUSTERDOWN or connection errors for a few seconds; the operation's
        // own deadline bounds the retries.
        retryDelayOnClusterDown: CLUSTER_RETRY_MS,
        retryDelayOnFailover: CLUSTER_RETRY_MS,
        slotsRefreshTimeout: SLOTS_REFRESH_MS,
        redisOptions: { ...nodeOptions, username: auth.username, password: auth.password, tls: auth.tls }
      })
    } else if (target.kind === 'socket') {
      redis = new Redis({ ...common, path: target.path })
    } else if (target.kind === 'url') {
      redis = new Redis({ ...common, ...urlOptions(target.url, target.passwordFile, target.tls) })
    } else {
      // Credentials and TLS of the master (and of the Sentinels, which usually share them).
      const auth = credentials(target)
      common = { ...common, username: auth.username, password: auth.password, tls: auth.tls, sentinelTLS: auth.tls, enableTLSForSentinelMode: auth.tls !== undefined }
      redis = new Redis({ ...common, sentinels: target.sentinels, name: target.name, sentinelRetryStrategy: backoff })
    }
  } catch (err) {
    throw new Error(`cannot use Redis at ${describeTarget(target)}: ${(err as Error).message}`)
  }
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
    // The error event says why (refused, WRONGPASS, certificate); the promise often only says it gave up.
    const failure = typedRedisError(err)
    const cause = lastError && (failure instanceof RedisUnavailableError || failure instanceof TimeoutError) ? lastError : err as Error
    throw new Error(`cannot use Redis at ${describeTarget(target)}: ${explain(cause)}`)
  }
}
