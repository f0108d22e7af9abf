import { Test } from 'tap'
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
