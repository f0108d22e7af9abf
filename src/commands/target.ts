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

/**
 * --cluster or --sentinels (with --redis or DNPIPES_REDIS_URL giving only credentials and TLS), else --redis,
 * else DNPIPES_REDIS_URL, else the embedded local server (started if needed).
 */
export async function resolveTarget (options: TargetOptions): Promise<RedisTarget> {
  const url = options.redis ?? (process.env.DNPIPES_REDIS_URL || undefined)
  const tls = { ca: options.tlsCa, cert: options.tlsCert, key: options.tlsKey }
  if (options.cluster) {
    return { kind: 'cluster', seeds: parseHostList(options.cluster, 6379), url, tls, passwordFile: options.redisPasswordFile }
  }
  if (options.sentinels) {
    if (!options.sentinelName) throw new Error('--sentinels needs --sentinel-name (the master group name)')
    return { kind: 'sentinel', sentinels: parseHostList(options.sentinels, 26379), name: options.sentinelName, url, tls, passwordFile: options.redisPasswordFile }
  }
  if (url) return { kind: 'url', url, tls, passwordFile: options.redisPasswordFile }
  const dataDir = options.dataDir ?? defaultDataDir()
  await ensureEmbeddedRedis(dataDir)
  return { kind: 'socket', path: socketPathOf(dataDir) }
}
