import type { Redis } from 'ioredis'
import type { Test } from 'tap'
import { connectRedis } from '../../src/redis/connect'
import type { RedisEngineOptions } from '../../src/topics/redis/engine-options'
import { RedisEngine } from '../../src/topics/redis/redis-engine'
import { pollUntil } from '../../src/util/deadline'
import type { RedisServer } from '../../scripts/support/redis-server'

/**
 * Stores on one real redis-server, and how a test tells an answer a store held (no command
 * reached Redis) from one it asked for: Redis's own command counters.
 */
export class StoresOn {
  private counter = 0

  constructor (private readonly t: Test, private readonly server: RedisServer, private readonly admin: Redis) {}

  /** A store of its own connection (named dnpipes-test-N, N counting from 0), closed at the end of the test file. */
  async store (options: Partial<RedisEngineOptions>, url = this.server.url): Promise<RedisEngine> {
    const redis = await connectRedis({ kind: 'url', url }, { name: `dnpipes-test-${this.counter++}`, commandTimeoutMs: 5000 })
    const store = new RedisEngine(redis, options)
    this.t.teardown(() => { store.close(); redis.disconnect() })
    return store
  }

  /** The name the next store's connection gets. */
  get nextName (): string {
    return `dnpipes-test-${this.counter}`
  }

  /** Commands Redis has run so far. */
  async calls (): Promise<number> {
    const stats = await this.admin.info('commandstats')
    return [...stats.matchAll(/calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0)
  }

  /** Whether, within `timeoutMs`, a second stat of `path` through `store` sends nothing to Redis. */
  async held (store: RedisEngine, path: string, timeoutMs = 5000): Promise<boolean> {
    return await pollUntil(async () => {
      await store.stat(path)
      const before = await this.calls()
      await store.stat(path)
      // The INFO calls themselves count one each.
      return await this.calls() - before === 1
    }, { timeoutMs, intervalMs: 20 })
  }
}

/**
 * Whether `check` holds within a second: a change made elsewhere reaches a holder with its
 * announcement, a message that may arrive just after the reply to the change.
 */
export async function soon (check: () => Promise<boolean>): Promise<boolean> {
  return await pollUntil(check, { timeoutMs: 1000, intervalMs: 1 })
}
