import type Redis from 'ioredis'
import t, { Test } from 'tap'
import { connectRedis } from '../../src/redis/connect'
import { mount, MountedDir, MountOptions } from '../../scripts/support/mount'
import { RedisServer, startRedis } from '../../scripts/support/redis-server'

/** A real redis-server for the whole test file, stopped at its end. */
export async function redisFor (t: Test): Promise<RedisServer> {
  const server = await startRedis()
  t.teardown(() => server.stop())
  return server
}

/** A real mount on `server`, unmounted when the test ends, pass or fail. */
export async function mountFor (t: Test, server: RedisServer | undefined, options: MountOptions = {}): Promise<MountedDir> {
  const mounted = await mount(server?.url, options)
  t.teardown(() => mounted.stop())
  return mounted
}

export interface PerFileRedis {
  readonly server: RedisServer
  /** A client of `server` for the test's own checks and setup. */
  readonly admin: Redis
}

export interface PerFileConnection extends PerFileRedis {
  /** A connection to `server` made as dnpipes makes its own (connectRedis). */
  readonly redis: Redis
}

/**
 * One redis-server without persistence, and a client of it, for every test of the file: started
 * before the first test, stopped after the last. Its fields are set once the first test runs.
 */
export function redisPerFile (): PerFileRedis {
  return perFile()
}

/** redisPerFile, with a connection made by connectRedis under the client name `name`. */
export function connectedPerFile (name: string): PerFileConnection {
  return perFile(name) as PerFileConnection
}

/** The fixture's fields; `redis` only with `connectAs`. */
function perFile (connectAs?: string): PerFileRedis & { readonly redis?: Redis } {
  const fixture = {} as { server: RedisServer, admin: Redis, redis?: Redis }
  t.before(async () => {
    fixture.server = await startRedis({ persistence: false })
    fixture.admin = fixture.server.client()
    if (connectAs !== undefined) fixture.redis = await connectRedis({ kind: 'url', url: fixture.server.url }, { name: connectAs, commandTimeoutMs: 5000 }) as Redis
  })
  t.teardown(async () => {
    fixture.redis?.disconnect()
    await fixture.server?.stop()
  })
  return fixture
}
