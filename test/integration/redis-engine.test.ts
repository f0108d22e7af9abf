import type Redis from 'ioredis'
import t from 'tap'
import { Message } from '../../src/framing/message'
import { connectRedis } from '../../src/redis/connect'
import { ReadCursor } from '../../src/topics/readers/read-cursor'
import { RedisEngine } from '../../src/topics/redis/redis-engine'
import { RedisServer, startRedis } from '../../scripts/support/redis-server'
import { redisEngineContract } from '../helpers/redis-engine-contract'
import { readAll } from '../helpers/topic-io'

// The topic layer's contract on a standalone redis-server.

let server: RedisServer
let client: Redis
t.before(async () => {
  server = await startRedis()
  client = server.client()
})
t.teardown(() => server.stop())

redisEngineContract(t, {
  get client () { return client },
  cluster: false,
  commandStats: () => client.info('commandstats')
})

// The connection of its own that sequential pages use (src/topics/redis/pages/ranged-pages.ts), where it can fail.

const lines = (count: number, tag: string): Message[] =>
  Array.from({ length: count }, (_, i) => ({ payload: Buffer.from(`${tag} ${i} ${'.'.repeat(i % 40)}`), verbatim: false }))
const rendered = (messages: Message[]): string => messages.map(m => m.payload.toString() + '\n').join('')

async function storeOn (url: string, commandTimeoutMs = 5000): Promise<{ store: RedisEngine, close: () => void }> {
  const redis = await connectRedis({ kind: 'url', url }, { name: 'dnpipes-test', commandTimeoutMs })
  const store = new RedisEngine(redis, { prefix: 'p:', indexEvery: 512, rangedPageBytes: 4096 })
  return { store, close: () => { store.close(); redis.disconnect() } }
}

t.test('a user whose ACL forbids MULTI reads the same bytes through the read script', async t => {
  const acl = await startRedis({ args: ['--user', 'default', 'off', '--user', 'reader', 'on', '>pw', '~*', '&*', '+@all', '-multi', '-exec'], auth: { username: 'reader', password: 'pw' } })
  t.teardown(() => acl.stop())
  const { store, close } = await storeOn(`redis://reader:pw@127.0.0.1:${acl.port}`)
  t.teardown(close)
  const { uid } = await store.create('t')
  const messages = lines(2000, 'acl')
  await store.append('t', uid, messages)
  t.equal((await readAll(store, 't', 4096)).toString(), rendered(messages))
  t.match(await acl.client().info('commandstats'), /cmdstat_multi:calls=0,.*rejected_calls=[1-9]/, 'MULTI was tried and refused')
})

t.test('a Redis that stops answering mid-read fails the read in time; once back, reading goes on exactly', async t => {
  const frozen = await startRedis({ persistence: false })
  t.teardown(() => frozen.stop())
  const pid = Number(/process_id:(\d+)/.exec(await frozen.client().info('server'))![1])
  t.teardown(() => { try { process.kill(pid, 'SIGCONT') } catch {} })
  const { store, close } = await storeOn(frozen.url, 500)
  t.teardown(close)
  const { uid } = await store.create('t')
  const messages = lines(3000, 'f')
  await store.append('t', uid, messages)
  const expected = Buffer.from(rendered(messages))
  const cursor = new ReadCursor(request => store.read('t', request), 4096)
  let offset = 0
  for (let i = 0; i < 10; i++) offset += (await cursor.read(offset, 1000)).length
  process.kill(pid, 'SIGSTOP')
  const started = Date.now()
  let failed: unknown
  try {
    for (let i = 0; i < 20; i++) offset += (await cursor.read(offset, 1000)).length
  } catch (err) {
    failed = err
  }
  t.ok(failed, 'a read fails while Redis is frozen')
  t.ok(Date.now() - started < 3000, `within ${Date.now() - started} ms`)
  process.kill(pid, 'SIGCONT')
  const parts: Buffer[] = [expected.subarray(0, offset)]
  for (;;) {
    const chunk = await cursor.read(offset, 1000)
    if (chunk.length === 0) break
    parts.push(chunk)
    offset += chunk.length
  }
  t.ok(Buffer.concat(parts).equals(expected), 'the rest reads exactly after Redis is back')
})

t.test('a page connection killed by Redis is replaced at once; the read goes on exactly', async t => {
  const { store, close } = await storeOn(server.url)
  t.teardown(close)
  const { uid } = await store.create('killed')
  const messages = lines(3000, 'k')
  await store.append('killed', uid, messages)
  const cursor = new ReadCursor(request => store.read('killed', request), 4096)
  const parts: Buffer[] = []
  let offset = 0
  for (let i = 0; ; i++) {
    if (i === 10 || i === 20) {
      const pages = /id=(\d+) [^\n]* name=dnpipes-test-pages /.exec(String(await client.client('LIST')))
      t.ok(pages, `the page connection is there (read ${i})`)
      await client.call('CLIENT', 'KILL', 'ID', pages![1]!)
    }
    const chunk = await cursor.read(offset, 1000)
    if (chunk.length === 0) break
    parts.push(chunk)
    offset += chunk.length
  }
  t.equal(Buffer.concat(parts).toString(), rendered(messages))
})

// Followers woken by the multiplexed XREAD get the entries that woke them (follow-hub.ts).

t.test('a waiting follower is handed the entries that woke it, from its own position', async t => {
  const { store, close } = await storeOn(server.url)
  t.teardown(close)
  const { uid, lastId } = await store.create('handed')
  const signal = new AbortController().signal
  const first = store.waitForEntries('handed', lastId, uid, signal)
  await store.append('handed', uid, lines(2, 'a'))
  const woken = await first
  t.same(typeof woken === 'object' && { uid: woken.uid, data: woken.data.toString(), count: woken.count }, { uid, data: rendered(lines(2, 'a')), count: 2 }, 'both entries, rendered as a read renders them')
  const afterFirst = typeof woken === 'object' ? woken.lastId : ''
  const behind = store.waitForEntries('handed', lastId, uid, signal)
  const ahead = store.waitForEntries('handed', afterFirst, uid, signal)
  await client.xadd('p:{handed}', '*', 'kind', 'raw', 'n', '1')
  const [fromStart, fromLast] = await Promise.all([behind, ahead])
  t.equal(typeof fromStart === 'object' && fromStart.data.toString(), rendered(lines(2, 'a')) + 'kind=raw n=1\n', 'a waiter further back gets every entry after its position')
  t.equal(typeof fromLast === 'object' && fromLast.data.toString(), 'kind=raw n=1\n', "another client's entry renders as field=value")
})

t.test('a follower whose topic another host removed and created again is told it is gone, never handed the new one', async t => {
  const { store, close } = await storeOn(server.url)
  const other = await storeOn(server.url)
  t.teardown(() => { close(); other.close() })
  const { uid, lastId } = await store.create('again')
  const waiting = store.waitForEntries('again', lastId, uid, new AbortController().signal)
  await new Promise(resolve => setTimeout(resolve, 50))
  await other.store.remove('again')
  const created = await other.store.create('again')
  await other.store.append('again', created.uid, lines(1, 'new'))
  t.equal(await waiting, 'gone')
})
