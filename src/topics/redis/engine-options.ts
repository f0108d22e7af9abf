import { DEFAULTS } from '../../options'
import type { RetentionLimits } from '../types'

/** How a RedisEngine stores and reads topics; the commands set them from their own options. */
export interface RedisEngineOptions {
  /** @default "dnpipes:" */
  prefix: string
  /** An index entry every this many bytes bounds the scan of a read at any offset. @default 65536 */
  indexEvery: number
  /** On a Redis Cluster, moves between hash slots answer EXDEV. @default false */
  cluster: boolean
  /**
   * Appends return only once this many replicas have them (WAIT), so that a failover cannot
   * lose an acknowledged write. @default 0
   */
  waitReplicas: number
  /** How long an append waits for its replicas before it fails with EIO. @default 2000 */
  waitTimeoutMs: number
  /**
   * Sequential pages of about this many bytes are read with plain XRANGE on a connection of
   * their own (see ranged-pages.ts); 0 leaves every page to the read script. @default 524288
   */
  rangedPageBytes: number
  /** Hears of the bytes of every page reply received on that connection (they become garbage). */
  onReplyBytes?: (bytes: number) => void
  /**
   * Directories' attributes are held between changes, which every host announces (see
   * directory-watch.ts); standalone Redis and Sentinel only. For a mount: the kernel asks for
   * them on every path it resolves. @default false
   */
  holdDirectories: boolean
  /**
   * Topics' stats are held between changes, which Redis announces through client tracking (see
   * tracked-stats.ts); standalone Redis and Sentinel only. For a mount: the kernel asks for
   * them at every open and stat. @default false
   */
  holdTopics: boolean
  /** Retention for topics without limits of their own, applied when this store appends or stats. @default {} */
  defaultRetention: RetentionLimits
  /**
   * On a Cluster whose nodes publish keyspace notifications (see keyspace-events.ts), followers
   * wait on them (keyspace-hub.ts) and appends announce nothing; otherwise appends PUBLISH on
   * one channel and followers poll for other clients' entries (NotifyHub). @default false
   */
  keyspaceEvents: boolean
}

export const STORE_DEFAULTS: RedisEngineOptions = {
  prefix: DEFAULTS.keys.prefix,
  indexEvery: DEFAULTS.topics.indexEvery,
  cluster: false,
  waitReplicas: DEFAULTS.redis.waitReplicas,
  waitTimeoutMs: DEFAULTS.redis.waitTimeoutMs,
  rangedPageBytes: DEFAULTS.topics.rangedPageBytes,
  holdDirectories: false,
  holdTopics: false,
  defaultRetention: {},
  keyspaceEvents: false
}
