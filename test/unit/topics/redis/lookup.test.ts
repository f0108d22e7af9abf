import type Redis from 'ioredis'
import t from 'tap'
import { connectRedis } from '../../../../src/redis/connect'
import { DirectoryCache } from '../../../../src/topics/redis/directory-cache'
import { KeyLayout } from '../../../../src/topics/redis/keys'
import { Lookup } from '../../../../src/topics/redis/lookup'
import { ScriptRunner } from '../../../../src/topics/redis/script-runner'
import { TopicCache } from '../../../../src/topics/redis/topic-cache'
import type { RetentionLimits, TopicStat } from '../../../../src/topics/types'
import { pollUntil } from '../../../../src/util/deadline'
import { commandCalls, RedisServer, startRedis } from '../../../../scripts/support/redis-server'

// What a path is and a topic's counters (src/topics/redis/lookup.ts), on a real redis-server whose
// keys the test writes itself: how a listing and stored attributes make a directory, what one
// stat costs, the accounting of other clients' entries, and what goes into the caches handed in.

let server: RedisServer
let redis: Redis
let admin: Redis
t.before(async () => {
  server = await startRedis({ persistence: false })
  redis = await connectRedis({ kind: 'url', url: server.url }, { name: 'lookup-test', commandTimeoutMs: 5000 }) as Redis
  admin = server.client()
  await new ScriptRunner(redis).preload()
})
t.teardown(async () => {
  redis?.disconnect()
  await server?.stop()
})

let counter = 0
interface Setup { lookup: Lookup, runner: ScriptRunner, keys: KeyLayout, topic: (path: string) => Promise<void> }

/** A Lookup over keys of a prefix of its own; topic() makes a topic (unlisted: the test lists what it wants). */
function setup (options: { cluster?: boolean, retention?: RetentionLimits, directories?: DirectoryCache, topics?: TopicCache } = {}): Setup {
  const keys = new KeyLayout(`lk${counter++}:`)
  const runner = new ScriptRunner(redis)
  const lookup = new Lookup(runner, keys, 256, options.cluster ?? false, options.retention ?? {}, options.directories, options.topics && { cache: options.topics, runner })
  const topic = async (path: string): Promise<void> => {
    const { stream, meta } = keys.topic(path)
    await runner.run('create', [stream, meta], [`uid-${path}`, '', '', ''])
  }
  return { lookup, runner, keys, topic }
}

/**
 * The commands Redis ran while `work` ran (this test's only: tests run one at a time), those a
 * script ran counted in it: script calls are counted as "scripts", EVAL and EVALSHA alike
 * (ioredis sends a script's first call on a connection as EVAL).
 */
async function commandsOf (work: () => Promise<unknown>): Promise<Record<string, number>> {
  await admin.config('RESETSTAT')
  await work()
  const calls = await commandCalls(admin)
  const scripts = (calls.get('eval') ?? 0) + (calls.get('evalsha') ?? 0)
  if (scripts > 0) return { scripts }
  return Object.fromEntries(calls)
}

t.test('the root is a directory with what its attributes hash stores, each field absent when not stored or not a number', async t => {
  const { lookup, keys } = setup()
  t.same(await lookup.stat(''), { kind: 'directory' })
  await admin.hset(keys.directoryAttributes(''), { owner: '1000', group: 'staff', mode: String(0o41777), mtime: '12345', ctime: '' })
  t.same(await lookup.stat(''), { kind: 'directory', owner: 1000, mode: 0o1777, mtimeMs: 12345 })
})

for (const cluster of [false, true]) {
  const where = cluster ? 'on a Cluster, the listing asked beside the script' : 'on one server, the listing read by the script'
  t.test(`a name is a directory when its parent lists it as one, whatever attributes are stored (${where})`, async t => {
    const { lookup, keys, topic } = setup({ cluster })
    await admin.hset(keys.directory(''), { dir: 'd', old: 'd', listed: 'f', team: 'd' })
    await admin.hset(keys.directory('team'), { inner: 'd' })
    await admin.hset(keys.directoryAttributes('dir'), { owner: '5', mode: '448', mtime: '7', ctime: '8' })
    await admin.hset(keys.directoryAttributes('left'), { owner: '5' })
    await topic('listed')
    await topic('hidden')
    t.same(await lookup.stat('dir'), { kind: 'directory', owner: 5, mode: 448, mtimeMs: 7, ctimeMs: 8 })
    t.same(await lookup.stat('old'), { kind: 'directory' }, 'listed, no attributes stored (an older directory)')
    t.same(await lookup.stat('team/inner'), { kind: 'directory' }, 'in a subdirectory')
    t.equal(await lookup.stat('left'), undefined, 'attributes left behind, not listed: nothing')
    t.equal(await lookup.stat('nothing'), undefined)
    t.match(await lookup.stat('listed'), { kind: 'topic', uid: 'uid-listed', size: 0 })
    t.match(await lookup.stat('hidden'), { kind: 'topic', uid: 'uid-hidden' }, 'a topic is a topic, listed or not (a create cut short before its listing)')
    await admin.hset(keys.directory(''), { dangling: 'f' })
    t.equal(await lookup.stat('dangling'), undefined, 'listed as a topic that is not there: nothing')
  })
}

t.test('requireDirectory: the root always; ENOTDIR for a topic, listed or not; ENOENT for nothing', async t => {
  const { lookup, keys, topic } = setup()
  await admin.hset(keys.directory(''), { d: 'd', t: 'f', dangling: 'f' })
  await topic('t')
  await topic('hidden')
  await lookup.requireDirectory('')
  await lookup.requireDirectory('d')
  await t.rejects(lookup.requireDirectory('t'), { code: 'ENOTDIR' })
  await t.rejects(lookup.requireDirectory('hidden'), { code: 'ENOTDIR' })
  await t.rejects(lookup.requireDirectory('dangling'), { code: 'ENOTDIR' }, 'its listing says topic')
  await t.rejects(lookup.requireDirectory('none'), { code: 'ENOENT' })
  await t.rejects(lookup.requireDirectory('d/none'), { code: 'ENOENT' })
  t.equal(await lookup.childKind('d'), 'd')
  t.equal(await lookup.childKind('t'), 'f')
  t.equal(await lookup.childKind('none'), undefined)
})

t.test('topicUid is one HGET: no script, and other clients\' entries are not accounted by it', async t => {
  const { lookup, keys, topic } = setup()
  await topic('t')
  await admin.xadd(keys.topic('t').stream, '*', 'data', 'theirs')
  t.same(await commandsOf(async () => t.equal(await lookup.topicUid('t'), 'uid-t')), { hget: 1 })
  t.equal(await lookup.topicUid('none'), undefined)
  t.equal(await admin.hget(keys.topic('t').meta, 'count'), '0', 'nothing accounted')
  t.match(await lookup.statTopic('t'), { size: 'theirs\n'.length, entries: 1 }, 'a stat accounts them')
})

t.test('a stat costs one script call; one that meets other clients\' entries accounts them 1000 at a time, then asks again', async t => {
  const { lookup, keys, topic } = setup()
  await topic('t')
  t.same(await commandsOf(() => lookup.statTopic('t')), { scripts: 1 })
  const pipeline = admin.pipeline()
  for (let i = 0; i < 2500; i++) pipeline.xadd(keys.topic('t').stream, '*', 'data', `e${i}`)
  await pipeline.exec()
  let stat: TopicStat | undefined
  const calls = await commandsOf(async () => { stat = await lookup.statTopic('t') })
  t.same(calls, { scripts: 1 + 3 + 1 }, 'the stat, three reconcile rounds, the stat again')
  const expected = Array.from({ length: 2500 }, (_, i) => `e${i}\n`).join('').length
  t.match(stat, { size: expected, entries: 2500 })
  t.ok(await admin.zcard(keys.topic('t').index) >= expected / (256 + 8), 'the accounting indexed them every indexEvery bytes')
  t.same(await commandsOf(() => lookup.statTopic('t')), { scripts: 1 }, 'accounted: one call again')
})

t.test('the default retention is what a stat trims a topic without its own limits to', async t => {
  const { lookup, keys, topic } = setup({ retention: { messages: 2 } })
  await topic('t')
  for (const text of ['a', 'b', 'c']) await admin.xadd(keys.topic('t').stream, '*', 'data', text)
  t.match(await lookup.statTopic('t'), { entries: 2, size: 4 }, 'accounted, then trimmed')
  await admin.hset(keys.topic('t').meta, 'retain-messages', '5')
  await admin.xadd(keys.topic('t').stream, '*', 'data', 'd')
  t.match(await lookup.statTopic('t'), { entries: 3, retention: { messages: 5 } }, 'a topic\'s own limits instead')
})

t.test('held topics: what the script says may be held is, and answers without Redis; a stat that had to account is not', async t => {
  const cache = new TopicCache()
  cache.start()
  const { lookup, keys, topic } = setup({ topics: cache })
  const missed: string[] = []
  lookup.onMiss = path => missed.push(path)
  await topic('t')
  await lookup.statTopic('t')
  t.ok(cache.get('t'), 'held')
  t.same(missed, ['t'])
  t.same(await commandsOf(async () => {
    await lookup.stat('t')
    await lookup.statTopic('t')
    t.equal(await lookup.topicUid('t'), 'uid-t', 'topicUid from the held stat')
  }), {}, 'three answers, no command')
  t.same(missed, ['t'], 'no miss for a held stat')

  cache.forget([keys.topic('t').stream])
  await admin.xadd(keys.topic('t').stream, '*', 'data', 'theirs')
  t.match(await lookup.statTopic('t'), { entries: 1 })
  t.equal(cache.get('t'), undefined, 'accounted in that stat: not held')
  t.match(await lookup.statTopic('t'), { entries: 1 })
  t.ok(cache.get('t'), 'the next stat is held')

  await topic('aged')
  await admin.hset(keys.topic('aged').meta, 'retain-seconds', '60')
  await lookup.statTopic('aged')
  t.equal(cache.get('aged'), undefined, 'an age limit: time alone changes it')

  cache.stop()
  t.same(await commandsOf(() => lookup.topicUid('t')), { hget: 1 }, 'stats not held now: topicUid is an HGET again')
})

t.test('readAhead holds the stats of the topics among the paths, in one pipeline; nothing at all while stats are not held', async t => {
  const cache = new TopicCache()
  const { lookup, keys, topic } = setup({ topics: cache })
  await topic('a')
  await topic('b')
  await topic('aged')
  await admin.hset(keys.topic('aged').meta, 'retain-seconds', '60')
  await admin.hset(keys.directory(''), { d: 'd' })
  t.same(await commandsOf(() => lookup.readAhead(['a', 'b'])), {}, 'not held: nothing asked')
  cache.start()
  t.same(await commandsOf(() => lookup.readAhead([])), {}, 'no paths: nothing asked')
  t.same(await commandsOf(() => lookup.readAhead(['a', 'b', 'aged', 'd', 'none'])), { scripts: 5 })
  t.ok(cache.get('a') && cache.get('b'), 'the topics are held')
  t.equal(cache.get('aged'), undefined, 'not one time alone changes')
  t.equal(cache.get('d'), undefined)
  t.equal(cache.get('none'), undefined)
})

t.test('held directories: a directory stat is held, never a topic or nothing; not when a change was heard of while it was asked', async t => {
  const directories = new DirectoryCache()
  directories.up()
  const { lookup, keys, topic } = setup({ directories })
  await admin.hset(keys.directory(''), { d: 'd', e: 'd', t: 'f' })
  await topic('t')
  await lookup.stat('d')
  t.same(directories.get('d'), { kind: 'directory' })
  t.same(await commandsOf(() => lookup.stat('d')), {}, 'answered from what is held')
  await lookup.stat('t')
  await lookup.stat('none')
  t.equal(directories.get('t'), undefined)
  t.equal(directories.get('none'), undefined)
  const asked = lookup.stat('e')
  directories.changed('elsewhere')
  t.same(await asked, { kind: 'directory' })
  t.equal(directories.get('e'), undefined, 'a change heard of after it was sent: not held')
})

t.test('a restarted Redis, its scripts gone: stats answer as before', async t => {
  const own = await startRedis()
  t.teardown(() => own.stop())
  const client = await connectRedis({ kind: 'url', url: own.url }, { name: 'lookup-restart', commandTimeoutMs: 5000 }) as Redis
  t.teardown(() => client.disconnect())
  const keys = new KeyLayout('r:')
  const runner = new ScriptRunner(client)
  const lookup = new Lookup(runner, keys, 256, false, {})
  await runner.run('create', [keys.topic('t').stream, keys.topic('t').meta], ['u1', '', '', ''])
  await own.client().xadd(keys.topic('t').stream, '*', 'data', 'kept')
  t.match(await lookup.statTopic('t'), { size: 5 })
  await own.stop()
  await t.rejects(lookup.statTopic('t'), 'down: the stat fails')
  await own.start()
  t.ok(await pollUntil(() => client.status === 'ready', { timeoutMs: 5000, intervalMs: 10 }), 'connected again')
  t.match(await lookup.statTopic('t'), { uid: 'u1', size: 5, entries: 1 }, 'from the AOF, through the script sent again')
})
