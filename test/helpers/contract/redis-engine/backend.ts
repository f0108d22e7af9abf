import type { Test } from 'tap'
import type { Cluster, Redis } from 'ioredis'
import { RedisEngine } from '../../../../src/topics/redis/redis-engine'
import type { RetentionLimits } from '../../../../src/topics/types'

/** The Redis a test file runs the Redis engine's contract on (see redis-engine-contract.ts). */
export interface RedisBackend {
  client: Redis | Cluster
  cluster: boolean
  /** INFO commandstats of the node that holds `key`. */
  commandStats (key: string): Promise<string>
}

/** That Redis, as each concern of the Redis engine's contract gets it. */
export interface RedisEngineBackend extends RedisBackend {
  /** A new engine on keys of its own prefix; a test that needs it closed closes it. */
  freshStore (indexEvery?: number, rangedPageBytes?: number, defaultRetention?: RetentionLimits): RedisEngine
  /** How many times the node that holds `path` ran EXEC (once per page read with plain XRANGE). */
  execCalls (store: RedisEngine, path: string): Promise<number>
}

/** One concern of the Redis engine's contract: declares its tests on `t`. */
export type RedisEngineConcern = (t: Test, backend: RedisEngineBackend) => void

/**
 * `backend` with its makers of engines: every engine they make, for every concern, has a prefix
 * of its own. Its client is read when the tests run (after t.before), never before.
 */
export function redisEngineBackend (backend: RedisBackend): RedisEngineBackend {
  let counter = 0
  const freshStore = (indexEvery?: number, rangedPageBytes?: number, defaultRetention?: RetentionLimits): RedisEngine =>
    new RedisEngine(backend.client, { prefix: `t${counter++}:`, indexEvery, cluster: backend.cluster, rangedPageBytes, defaultRetention })
  const execCalls = async (store: RedisEngine, path: string): Promise<number> =>
    Number(/cmdstat_exec:calls=(\d+)/.exec(await backend.commandStats(store.keys.topic(path).stream))?.[1] ?? 0)
  return {
    get client () { return backend.client },
    get cluster () { return backend.cluster },
    commandStats: key => backend.commandStats(key),
    freshStore,
    execCalls
  }
}
