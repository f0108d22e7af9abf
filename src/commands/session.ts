import type { Cluster } from 'ioredis'
import { connectRedis, RedisClient } from '../redis/connect'
import { keyspaceEventsReady } from '../redis/keyspace-events'
import { CLI_CLIENT_NAME, stopEmbeddedIfUnused } from '../redis/embedded'
import { RedisEngine } from '../topics/redis/redis-engine'
import { resolveTarget, TargetOptions } from './target'

export interface StoreOptions extends TargetOptions {
  prefix: string
}

/** What an operation does with topics beyond reading and changing them. */
export interface StoreUse {
  /**
   * It appends, or waits for new entries: on a Cluster, how appends are announced and waits
   * woken depends on the nodes' keyspace notifications, which are then asked about.
   */
  appendsOrWaits?: boolean
}

/**
 * Runs one CLI operation against the same Redis a mount would use. When the embedded server had
 * to be started for it, it is stopped again afterwards unless a mount is using it.
 */
export async function withStore<T> (options: StoreOptions, work: (store: RedisEngine, redis: RedisClient) => Promise<T>, use: StoreUse = {}): Promise<T> {
  const target = await resolveTarget(options)
  const redis = await connectRedis(target, { name: CLI_CLIENT_NAME })
  const cluster = target.kind === 'cluster'
  // The CLI changes no setting of the server: it uses keyspace notifications when a mount has set them.
  const keyspaceEvents = cluster && use.appendsOrWaits === true && await keyspaceEventsReady(redis as Cluster)
  const store = new RedisEngine(redis, { prefix: options.prefix, cluster, keyspaceEvents })
  try {
    return await work(store, redis)
  } finally {
    store.close()
    if (target.kind === 'socket') await stopEmbeddedIfUnused(redis, target.path).catch(() => false)
    redis.disconnect()
  }
}
