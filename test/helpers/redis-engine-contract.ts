import { Test } from 'tap'
import { redisEngineBackend, RedisBackend, RedisEngineConcern } from './contract/redis-engine/backend'
import { redisMovingReads } from './contract/redis-engine/moving-reads'
import { redisOtherClients } from './contract/redis-engine/other-clients'
import { redisPages } from './contract/redis-engine/pages'
import { redisTopics } from './contract/redis-engine/topics'
import { engineContract } from './engine-contract'

export type { RedisBackend }

/**
 * The Redis engine's contract, one suite for every kind of Redis it runs on: standalone,
 * Sentinel-managed and Cluster (test/integration/redis-engine*.test.ts run it). It runs the
 * engine contract every engine passes (engine-contract.ts), then the concerns that need Redis
 * itself (test/helpers/contract/redis-engine/): other clients' commands, command counts, the
 * offset index.
 */
const REDIS_CONCERNS: RedisEngineConcern[] = [redisTopics, redisPages, redisMovingReads, redisOtherClients]

/** Declares the suite's tests on `t`; `backend` is read when they run (after t.before). */
export function redisEngineContract (t: Test, backend: RedisBackend): void {
  const redis = redisEngineBackend(backend)
  // A small index and page size, so that retention's trims cross index points and ranged pages.
  engineContract(t, defaultRetention => defaultRetention ? redis.freshStore(256, 1024, defaultRetention) : redis.freshStore(), { renamesTopics: !backend.cluster })
  for (const concern of REDIS_CONCERNS) concern(t, redis)
}
