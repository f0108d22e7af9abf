import t from 'tap'
import type { Message } from '../../../src/framing/message'
import { MemoryEngine } from '../../../src/topics/memory/memory-engine'
import { openRoot, RootedEngine, validateRoot } from '../../../src/topics/rooted-engine'
import { RedisEngine } from '../../../src/topics/redis/redis-engine'
import { connectRedis } from '../../../src/redis/connect'
import { redisFor } from '../../helpers/fixture'

const line = (text: string): Message => ({ payload: Buffer.from(text), verbatim: false })

const code = (code: string): { name: string, code: string } => ({ name: 'TopicError', code })

t.test('every path is taken under the root, and the store above it is out of reach', async t => {
  const store = new MemoryEngine()
  const rooted = await openRoot(store, '/team/a/', false)
  t.equal(rooted.root, 'team/a', 'the root is a store path whatever slashes it came with')
  t.equal((await store.stat('team'))?.kind, 'directory', 'the missing directories were made, as mkdir -p')

  const made = await rooted.create('jobs')
  await rooted.append('jobs', made.uid, [line('one')])
  t.equal((await store.statTopic('team/a/jobs'))?.size, 4, 'a push lands in team/a/jobs')
  t.equal((await rooted.stat('jobs'))?.kind, 'topic')
  t.equal(rooted.keyOf('jobs'), store.keyOf('team/a/jobs'))

  await store.mkdir('team/b')
  await store.create('team/b/other')
  t.same((await rooted.list('')).map(e => e.name), ['jobs'], 'the root lists team/a only')
  t.equal((await rooted.stat(''))?.kind, 'directory', 'the root is team/a')

  await rooted.mkdir('sub')
  await rooted.rename('jobs', 'sub/jobs')
  t.equal((await store.stat('team/a/sub/jobs'))?.kind, 'topic', 'a rename moves within the root')
  t.equal(await rooted.locate('jobs', made.uid), 'sub/jobs', 'where a topic went is told in the root\'s paths')

  // A mount of the whole store moves the topic out of the root: from here it is gone.
  await store.rename('team/a/sub/jobs', 'team/b/jobs')
  t.equal(await rooted.locate('sub/jobs', made.uid), undefined, 'a topic moved out of the root is gone from it')

  await t.rejects(rooted.rmdir(''), code('EPERM'), 'the root cannot be removed')
  await t.rejects(rooted.create('.follow'), code('EPERM'), 'the views\' names are reserved at the root')
  await t.rejects(rooted.mkdir('.group'), code('EPERM'))
  t.equal((await store.stat('team/a'))?.kind, 'directory', 'the root is still there')
})

t.test('entries of the root named as the views, made through a mount of the whole store, stay hidden behind them', async t => {
  const store = new MemoryEngine()
  const rooted = await openRoot(store, 'ns', false)
  await store.create('ns/.follow')
  await store.create('ns/visible')
  t.same((await rooted.list('')).map(e => e.name), ['visible'])
  await store.mkdir('ns/dir')
  await store.create('ns/dir/.follow')
  t.same((await rooted.list('dir')).map(e => e.name), ['.follow'], 'below the root such a name is an ordinary topic')
})

t.test('a root that cannot be one is refused with a clear reason', async t => {
  for (const bad of ['', 'a/../b', 'a//b', './a', '.follow', 'x'.repeat(256)]) {
    t.throws(() => validateRoot(bad), code('EINVAL'), JSON.stringify(bad))
  }
  const store = new MemoryEngine()
  await store.create('topic')
  await t.rejects(openRoot(store, 'topic/below', false), code('ENOTDIR'), 'a topic on the way')
  await t.rejects(openRoot(store, 'missing', true), code('ENOENT'), 'read-only: the root must exist, nothing is made')
  t.equal(await store.stat('missing'), undefined)
  await store.mkdir('present')
  t.type(await openRoot(store, 'present', true), RootedEngine, 'read-only on a root that exists')
})

t.test('the held stats of the Redis engine: read in the root\'s paths, and their changes told in them', async t => {
  const server = await redisFor(t)
  const redis = await connectRedis({ kind: 'url', url: server.url }, { name: 'rooted-test' })
  t.teardown(() => redis.disconnect())
  const store = new RedisEngine(redis, { prefix: 'rooted:', cluster: false, holdDirectories: true, holdTopics: true })
  t.teardown(() => store.close())
  const rooted = await openRoot(store, 'team/a', false)
  const heard: Array<string | undefined> = []
  rooted.watchHeld!(path => heard.push(path))

  const made = await rooted.create('jobs')
  await store.create('team/elsewhere')
  const stat = await rooted.stat('jobs')
  t.equal(rooted.heldStat!('jobs'), stat, 'the very object stat() answered')
  t.equal(rooted.heldStat!('team/a/jobs'), undefined, 'asked in the store\'s paths, it holds nothing')
  const root = await rooted.stat('')
  t.equal(rooted.heldDirectory!(''), root, 'the root is held as team/a')

  heard.length = 0
  await rooted.append('jobs', made.uid, [line('x')])
  await store.append('team/elsewhere', (await store.topicUid('team/elsewhere'))!, [line('y')])
  t.ok(heard.includes('jobs'), `the append is told as jobs: ${JSON.stringify(heard)}`)
  t.notOk(heard.some(path => path !== undefined && path.startsWith('team/')), 'nothing outside the root is told, nor in store paths')
})
