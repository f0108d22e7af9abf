import type Redis from 'ioredis'
import t from 'tap'
import { connectRedis } from '../../src/redis/connect'
import { RedisEngine } from '../../src/topics/redis/redis-engine'
import type { DirectoryStat } from '../../src/topics/types'
import { RedisServer, startRedis } from '../../scripts/support/redis-server'
import { soon, StoresOn } from '../helpers/held-answers'

// Directories held by a store between changes (src/topics/redis/directory-watch.ts), on a real
// redis-server: every writer announces its changes, and a holder never answers from what it
// holds once a change was announced, or while it cannot hear announcements.

let server: RedisServer
let admin: Redis
t.before(async () => {
  server = await startRedis()
  admin = server.client()
  stores = new StoresOn(t, server, admin)
})
t.teardown(() => server.stop())

let stores: StoresOn
const storeOn = async (holdDirectories: boolean, prefix: string): Promise<RedisEngine> => await stores.store({ prefix, holdDirectories })
const held = async (store: RedisEngine, path: string): Promise<boolean> => await stores.held(store, path)

const modeOf = async (store: RedisEngine, path: string): Promise<number | undefined> => (await store.stat(path) as DirectoryStat | undefined)?.mode

t.test('a held directory costs no round trip; a change made elsewhere is seen as soon as it is announced', async t => {
  const holder = await storeOn(true, 'w1:')
  const other = await storeOn(true, 'w1:')
  const cli = await storeOn(false, 'w1:')
  await cli.mkdir('d', { owner: 0, group: 0, mode: 0o755 })
  t.ok(await held(holder, 'd'), 'held')
  t.ok(await held(holder, ''), 'the root too')

  await cli.changeOwnership('d', { mode: 0o700 })
  t.ok(await soon(async () => await modeOf(holder, 'd') === 0o700), 'a chmod by a store that holds nothing is announced')
  await other.changeOwnership('d', { owner: 5 })
  t.ok(await soon(async () => (await holder.stat('d') as DirectoryStat).owner === 5), 'and one by another holder')
  t.ok(await held(holder, 'd'))
  const before = (await holder.stat('d') as DirectoryStat).mtimeMs!
  await new Promise(resolve => setTimeout(resolve, 3))
  await cli.create('d/t')
  t.ok(await soon(async () => (await holder.stat('d') as DirectoryStat).mtimeMs! > before), 'an entry added elsewhere moves the held mtime')
  await cli.remove('d/t')
  await cli.rmdir('d')
  t.ok(await soon(async () => await holder.stat('d') === undefined), 'a directory removed elsewhere is gone')
  await cli.create('d')
  t.equal((await holder.stat('d'))?.kind, 'topic', 'and a topic in its place is a topic')

  await holder.mkdir('e')
  t.ok(await held(holder, 'e'))
  await holder.changeOwnership('e', { mode: 0o1777 })
  t.equal(await modeOf(holder, 'e'), 0o1777, 'its own change at once')
})

t.test('while the watch cannot hear, nothing is answered from what it held', async t => {
  const holder = await storeOn(true, 'w2:')
  const cli = await storeOn(false, 'w2:')
  await cli.mkdir('d', { owner: 0, group: 0, mode: 0o755 })
  t.ok(await held(holder, 'd'))
  await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
  await cli.changeOwnership('d', { mode: 0o711 })
  t.ok(await soon(async () => await modeOf(holder, 'd') === 0o711), 'the change made while the watch was cut is seen')
  t.ok(await held(holder, 'd'), 'the watch comes back and holds again')
  t.equal(await modeOf(holder, 'd'), 0o711, 'what it holds after is what Redis has')
  await cli.changeOwnership('d', { mode: 0o750 })
  t.ok(await soon(async () => await modeOf(holder, 'd') === 0o750), 'and hears again')
})

t.test('renames announce both directories; a Cluster-less store that does not hold still announces', async t => {
  const holder = await storeOn(true, 'w3:')
  const cli = await storeOn(false, 'w3:')
  await cli.mkdir('a')
  await cli.mkdir('b')
  await cli.create('a/t')
  t.ok(await held(holder, 'a'))
  t.ok(await held(holder, 'b'))
  const [ma, mb] = [(await holder.stat('a') as DirectoryStat).mtimeMs!, (await holder.stat('b') as DirectoryStat).mtimeMs!]
  await new Promise(resolve => setTimeout(resolve, 3))
  await cli.rename('a/t', 'b/t')
  t.ok(await soon(async () => (await holder.stat('a') as DirectoryStat).mtimeMs! > ma))
  t.ok(await soon(async () => (await holder.stat('b') as DirectoryStat).mtimeMs! > mb))
})

t.test('a user whose ACL forbids the channel holds nothing, and its changes are still made', async t => {
  const acl = await startRedis({ args: ['--user', 'default', 'off', '--user', 'nochan', 'on', '>pw', '~*', 'resetchannels', '+@all'], auth: { username: 'nochan', password: 'pw' } })
  t.teardown(() => acl.stop())
  const redis = await connectRedis({ kind: 'url', url: `redis://nochan:pw@127.0.0.1:${acl.port}` }, { name: 'dnpipes-test-acl', commandTimeoutMs: 5000 })
  const store = new RedisEngine(redis, { prefix: 'w4:', holdDirectories: true })
  t.teardown(() => { store.close(); redis.disconnect() })
  await store.mkdir('d', { owner: 0, group: 0, mode: 0o755 })
  await store.changeOwnership('d', { mode: 0o700 })
  await store.create('d/t')
  await new Promise(resolve => setTimeout(resolve, 300))
  const other = acl.client()
  t.teardown(() => other.quit())
  await other.hset('w4:{d}:attrs', 'mode', String(0o711))
  t.equal(await modeOf(store, 'd'), 0o711, 'nothing held: every stat asks Redis')
  t.same(await store.list('d'), [{ name: 't', kind: 'topic' }])
})
