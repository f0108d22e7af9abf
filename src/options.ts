import type { Framing } from './framing/message'

/**
 * Every setting of dnpipes with its default, grouped by concern, and the values derived from
 * them. The CLI flags and the fstab options are made from the option table
 * (src/commands/option-table.ts); the layers below take the values they need from here, so that a
 * default is written once.
 */

export type OTruncMode = 'ignore' | 'reset'

export interface MountSettings {
  /**
   * Prefix of every Redis key.
   * @default "dnpipes:"
   */
  prefix: string
  /**
   * line: each complete line is a message; write: each write(2) is one.
   * @default "line"
   */
  framing: Framing
  /**
   * What open(O_TRUNC) does: nothing, as on a named pipe, or a reset.
   * @default "ignore"
   */
  otrunc: OTruncMode
  /**
   * Other users may use the mount, with the kernel checking the modes.
   * @default false
   */
  allowOther: boolean
  /**
   * Every change is refused with EROFS.
   * @default false
   */
  readOnly: boolean
  /**
   * Longest any file operation waits for Redis before it fails with EIO, in ms. Every Redis
   * command of the mount has the same timeout (see deriveSettings).
   * @default 5000
   */
  opTimeout: number
  /**
   * A write returns only once this many replicas have it (WAIT).
   * @default 0
   */
  waitReplicas: number
  /**
   * Log every operation.
   * @default false
   */
  debug: boolean
  /** PORT or HOST:PORT of the Prometheus endpoint; none when absent. */
  metrics?: string
  /** The directory of the store the mount shows at its top ("team/a"); the store's root when absent. */
  root?: string
  /** Owner shown for entries (numeric); the daemon's uid when absent. */
  uid?: number
  /** Group shown for entries (numeric); the daemon's gid when absent. */
  gid?: number
  /**
   * Permission bits taken away from 0666 (topics) and 0777 (directories).
   * @default 0o022
   */
  umask: number
  /**
   * Seconds a `.group/` message handed out stays unacknowledged, its reader gone, before
   * another reader gets it.
   * @default 30
   */
  visibilityTimeout: number
  /**
   * Deliveries without an acknowledgement after which a message moves to TOPIC.dead.
   * @default 5
   */
  maxDeliveries: number
  /** Retention for topics without limits of their own (see topics/retention.ts); none by default. */
  retainMessages?: number
  retainBytes?: number
  retainSeconds?: number
}

/** How `dnpipes work` brings back a job whose command failed (see commands/retry-policy.ts). */
export interface RetrySettings {
  /**
   * Seconds from a failure to the job's next delivery.
   * @default the visibility timeout
   */
  retryDelay?: number
  /**
   * The delay doubles with each delivery of the job.
   * @default false
   */
  retryBackoff: boolean
  /**
   * Seconds the doubling stops at.
   * @default 3600, or the retry delay when that is longer
   */
  retryDelayMax?: number
}

export const DEFAULTS = {
  keys: {
    prefix: 'dnpipes:'
  },
  files: {
    framing: 'line' as Framing,
    otrunc: 'ignore' as OTruncMode,
    allowOther: false,
    readOnly: false,
    umask: 0o022
  },
  redis: {
    opTimeout: 5000,
    waitReplicas: 0,
    /** How long an append waits for its replicas before it fails with EIO. */
    waitTimeoutMs: 2000,
    /**
     * Connecting and the first reply; a mount that cannot reach Redis says so this soon (the
     * contract says within a few seconds, and a loaded machine adds a second of start-up).
     */
    connectTimeoutMs: 3000
  },
  topics: {
    /** An index entry every this many bytes bounds the scan of a read at any offset. */
    indexEvery: 64 * 1024,
    /** Sequential pages of about this size are read with plain XRANGE (ranged-pages.ts); 0: never. */
    rangedPageBytes: 512 * 1024
  },
  groups: {
    visibilityTimeout: 30,
    maxDeliveries: 5
  },
  retries: {
    retryBackoff: false,
    retryDelayMax: 3600
  },
  logging: {
    debug: false
  }
} as const

/** The defaults of a mount's settings, as the CLI and fstab options show them. */
export const MOUNT_DEFAULTS: Omit<MountSettings, 'metrics' | 'uid' | 'gid'> = {
  ...DEFAULTS.keys,
  ...DEFAULTS.files,
  opTimeout: DEFAULTS.redis.opTimeout,
  waitReplicas: DEFAULTS.redis.waitReplicas,
  ...DEFAULTS.groups,
  ...DEFAULTS.logging
}

/** WAIT ends this long before the operation's deadline, so that its own error is the one reported. */
const WAIT_MARGIN_MS = 100

/** What the layers below need, computed from the settings. */
export interface DerivedSettings {
  /** ioredis's commandTimeout and the page connection's deadline: the op timeout. */
  redisCommandTimeoutMs: number
  /** The deadline of each file operation. */
  opTimeoutMs: number
  /** WAIT's own timeout: shorter than the operation's, so that its failure is the one reported. */
  waitTimeoutMs: number
  connectTimeoutMs: number
}

/**
 * The dependent values, and the relations between them that must hold. A Redis command timeout
 * longer than the op timeout would let a file operation fail while its command is still pending;
 * a shorter one would fail commands the operation could still wait for: they are one number.
 */
export function deriveSettings (settings: Pick<MountSettings, 'opTimeout' | 'waitReplicas'>): DerivedSettings {
  if (!(Number.isInteger(settings.opTimeout) && settings.opTimeout > 0)) throw new RangeError(`the op timeout must be a positive number of ms, not ${settings.opTimeout}`)
  if (!(Number.isInteger(settings.waitReplicas) && settings.waitReplicas >= 0)) throw new RangeError(`the replicas to wait for must be 0 or more, not ${settings.waitReplicas}`)
  return {
    redisCommandTimeoutMs: settings.opTimeout,
    opTimeoutMs: settings.opTimeout,
    waitTimeoutMs: Math.min(DEFAULTS.redis.waitTimeoutMs, Math.max(1, settings.opTimeout - WAIT_MARGIN_MS)),
    connectTimeoutMs: DEFAULTS.redis.connectTimeoutMs
  }
}

/** A group policy (types.ts) from the settings, which give the visibility timeout in seconds. */
export function groupPolicyOf (settings: Pick<MountSettings, 'visibilityTimeout' | 'maxDeliveries'>): { visibilityMs: number, maxDeliveries: number } {
  if (!(settings.visibilityTimeout > 0 && Number.isFinite(settings.visibilityTimeout))) throw new RangeError(`the visibility timeout must be a positive number of seconds, not ${settings.visibilityTimeout}`)
  if (!(Number.isInteger(settings.maxDeliveries) && settings.maxDeliveries > 0)) throw new RangeError(`the deliveries before a dead letter must be 1 or more, not ${settings.maxDeliveries}`)
  return { visibilityMs: Math.round(settings.visibilityTimeout * 1000), maxDeliveries: settings.maxDeliveries }
}

/** `defaults` with the fields of `given` that are defined. */
export function withDefaults<T extends object> (defaults: T, given: { [K in keyof T]?: T[K] | undefined }): T {
  const result = { ...defaults }
  for (const key of Object.keys(given) as Array<keyof T>) {
    const value = given[key]
    if (value !== undefined) result[key] = value as T[keyof T]
  }
  return result
}
