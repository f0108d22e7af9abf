import { defaultDataDir, ensureEmbeddedRedis, socketPathOf } from '../redis/embedded'
import { parseHostList, RedisTarget } from '../redis/connect'

export interface TargetOptions {
  redis?: string
  dataDir?: string
  cluster?: string
  sentinels?: string
  sentinelName?: string
  tlsCa?: string
  tlsCert?: string
  tlsKey?: string
  redisPasswordFile?: string
}

export interface ResolvedTarget {
  target: RedisTarget
  /** True when dnpipes runs the Redis server itself (the embedded default). */
  embedded: boolean
}

/**
 * --cluster or --sentinels (with --redis or DNPIPES_REDIS_URL giving only credentials and TLS), else --redis,
 * else DNPIPES_REDIS_URL, else the embedded local server (started if needed).
 */
export async function resolveTarget (options: TargetOptions): Promise<ResolvedTarget> {
  const url = options.redis ?? (process.env.DNPIPES_REDIS_URL || undefined)
  const tls = { ca: options.tlsCa, cert: options.tlsCert, key: options.tlsKey }
  if (options.cluster) {
    return { target: { kind: 'cluster', seeds: parseHostList(options.cluster, 6379), url, tls, passwordFile: options.redisPasswordFile }, embedded: false }
  }
  if (options.sentinels) {
    if (!options.sentinelName) throw new Error('--sentinels needs --sentinel-name (the master group name)')
    return {
      target: { kind: 'sentinel', sentinels: parseHostList(options.sentinels, 26379), name: options.sentinelName, url, tls, passwordFile: options.redisPasswordFile },
      embedded: false
    }
  }
  if (url) return { target: { kind: 'url', url, tls, passwordFile: options.redisPasswordFile }, embedded: false }
  const dataDir = options.dataDir ?? defaultDataDir()
  await ensureEmbeddedRedis(dataDir)
  return { target: { kind: 'socket', path: socketPathOf(dataDir) }, embedded: true }
}
