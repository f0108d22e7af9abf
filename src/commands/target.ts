import { defaultDataDir, ensureEmbeddedRedis, socketPathOf } from '../redis/embedded'
import { RedisTarget } from '../redis/connect'

export interface TargetOptions {
  redis?: string
  dataDir?: string
}

export interface ResolvedTarget {
  target: RedisTarget
  /** True when dnpipes runs the Redis server itself (the embedded default). */
  embedded: boolean
}

/** --redis, else DNPIPES_REDIS_URL, else the embedded local server (started if needed). */
export async function resolveTarget (options: TargetOptions): Promise<ResolvedTarget> {
  const url = options.redis ?? process.env.DNPIPES_REDIS_URL
  if (url) return { target: { kind: 'url', url }, embedded: false }
  const dataDir = options.dataDir ?? defaultDataDir()
  await ensureEmbeddedRedis(dataDir)
  return { target: { kind: 'socket', path: socketPathOf(dataDir) }, embedded: true }
}
