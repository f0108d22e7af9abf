import type Redis from 'ioredis'
import t, { Test } from 'tap'
import { connectRedis } from '../../../../src/redis/connect'
import { KeyLayout } from '../../../../src/topics/redis/keys'
import { TrackedStats } from '../../../../src/topics/redis/tracked-stats'
import type { TopicStat } from '../../../../src/topics/types'
import { pollUntil } from '../../../../src/util/deadline'
import { startRedis, waitFor } from '../../../../scripts/support/redis-server'
import { connectedPerFile } from '../../../helpers/fixture'

// Client tracking for held stats (src/topics/redis/tracked-stats.ts), on a real redis-server: when
// the cache is up, how its two connections are set up, what an invalidation drops, and how it
// goes down and comes back with Redis, or never comes up for a user that may not track.

t.setTimeout(60_000)

const fixture = connectedPerFile('tracked-test')

const keys = new KeyLayout('ts:')
const stat = (uid: string): TopicStat => ({ kind: 'topic', uid, size: 0, entries: 0, mtimeMs: 0, ctimeMs: 0, gen: '0', lastId: '0-0', retention: {}, scheduled: 0 })
const soon = async (check: () => boolean | Promise<boolean>): Promise<boolean> => await pollUntil(check, { timeoutMs: 10_000, intervalMs: 5 })

/** TrackedStats on `client`, closed at the end of the test. */
function tracked (t: Test, client: Redis = fixture.redis): TrackedStats {
  const stats = new TrackedStats(client)
  t.teardown(() => stats.close())
  return stats
}

/** Reads `path`'s keys through the tracked connection (so Redis tracks them) and holds a stat of it. */
async function hold (stats: TrackedStats, path: string): Promise<void> {
  const { stream, meta } = keys.topic(path)
  const mark = stats.cache.mark
  await stats.runner.command(r => (r as Redis).hget(meta, 'uid'))
  await stats.runner.command(r => (r as Redis).xlen(stream))
  stats.cache.put(path, stat(path), [stream, meta], mark)
}

t.test('up once tracking is confirmed: the stats connection is tracked, redirecting to its own subscriber, both named after the main one', async t => {
  const stats = tracked(t)
  t.ok(await soon(() => stats.cache.up), 'up')
  const list = String(await fixture.admin.client('LIST'))
  const subscriber = /id=(\d+) [^\n]* name=tracked-test-stats-invalidations /.exec(list)?.[1]
  t.ok(subscriber, 'the subscriber')
  t.match(list, new RegExp(`name=tracked-test-stats [^\\n]*flags=[^ ]*t[^ ]* [^\\n]*redir=${subscriber} `), 'tracked, redirected to it')
})

t.test('a change by another client drops what was read from its key; FLUSHALL drops everything; a change of a key not read, nothing', async t => {
  const stats = tracked(t)
  t.ok(await soon(() => stats.cache.up))
  await fixture.admin.hset(keys.topic('a').meta, 'uid', 'a')
  await fixture.admin.hset(keys.topic('b').meta, 'uid', 'b')
  await hold(stats, 'a')
  await hold(stats, 'b')
  await fixture.admin.hset(keys.topic('unread').meta, 'uid', 'x')
  await fixture.admin.hset(keys.topic('a').meta, 'bytes', '1')
  t.ok(await soon(() => stats.cache.get('a') === undefined), 'a dropped')
  t.ok(stats.cache.get('b'), 'b stays')
  await fixture.admin.flushall()
  t.ok(await soon(() => stats.cache.get('b') === undefined), 'FLUSHALL: everything')
  t.ok(stats.cache.up, 'still up')
})

t.test('Redis restarted: down while it is away, then tracking is armed again and invalidations are heard again', async t => {
  const own = await startRedis({ persistence: false })
  t.teardown(() => own.stop())
  const client = await connectRedis({ kind: 'url', url: own.url }, { name: 'tracked-restart', commandTimeoutMs: 5000 }) as Redis
  t.teardown(() => client.disconnect())
  const stats = tracked(t, client)
  t.ok(await soon(() => stats.cache.up))
  await hold(stats, 'a')
  t.ok(stats.cache.get('a'))
  await own.stop()
  t.ok(await soon(() => !stats.cache.up), 'down')
  t.equal(stats.cache.get('a'), undefined, 'nothing held while down')
  await own.start()
  t.ok(await soon(() => stats.cache.up), 'up again')
  await hold(stats, 'a')
  t.ok(stats.cache.get('a'))
  await own.client().hset(keys.topic('a').meta, 'uid', 'changed')
  t.ok(await soon(() => stats.cache.get('a') === undefined), 'a change is heard again')
})

t.test('close: down, and both connections let go', async t => {
  const stats = new TrackedStats(fixture.redis)
  t.ok(await soon(() => stats.cache.up))
  stats.close()
  t.notOk(stats.cache.up)
  await waitFor(async () => !/name=tracked-test-stats/.test(String(await fixture.admin.client('LIST'))), 5000, 'the connections to go')
})

t.test('a user that may not turn tracking on: never up, and the subscriber is let go', async t => {
  await fixture.admin.call('ACL', 'SETUSER', 'notrack', 'on', '>pw', '~*', '&*', '+@all', '-client|tracking')
  t.teardown(() => fixture.admin.call('ACL', 'DELUSER', 'notrack'))
  await fixture.admin.call('ACL', 'LOG', 'RESET')
  const client = await connectRedis({ kind: 'url', url: `redis://notrack:pw@127.0.0.1:${fixture.server.port}` }, { name: 'tracked-acl', commandTimeoutMs: 5000 }) as Redis
  t.teardown(() => client.disconnect())
  const stats = tracked(t, client)
  await waitFor(async () => /tracking/.test(JSON.stringify(await fixture.admin.call('ACL', 'LOG'))), 5000, 'CLIENT TRACKING to be refused')
  await waitFor(async () => !/name=tracked-acl-stats-invalidations/.test(String(await fixture.admin.client('LIST'))), 5000, 'the subscriber to go')
  t.notOk(stats.cache.up, 'not up')
  t.ok(/name=tracked-acl-stats /.test(String(await fixture.admin.client('LIST'))), 'the stats connection stays, for the runner')
})
