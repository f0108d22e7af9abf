import type Redis from 'ioredis'
import t from 'tap'
import type { Message } from '../../src/framing/message'
import { PAYLOAD_FIELD } from '../../src/framing/entry'
import { RedisEngine } from '../../src/topics/redis/redis-engine'
import { pollUntil } from '../../src/util/deadline'
import { RedisServer, startRedis } from '../../scripts/support/redis-server'
import { soon, StoresOn } from '../helpers/held-answers'

// Stats of topics held by a store between changes (src/topics/redis/tracked-stats.ts), on a real
// redis-server: Redis announces every change of a key a held stat was read from, whoever made
// it, and a holder never answers from what it holds once its own change was sent, a change was
// announced, or while it cannot hear announcements.

let server: RedisServer
let admin: Redis
t.before(async () => {
  server = await startRedis()
  admin = server.client()
  stores = new StoresOn(t, server, admin)
})
t.teardown(() => server.stop())

let stores: StoresOn
const storeOn = async (holdTopics: boolean, prefix: string, url?: string): Promise<RedisEngine> => await stores.store({ prefix, holdTopics }, url)
const held = async (store: RedisEngine, path: string, timeoutMs?: number): Promise<boolean> => await stores.held(store, path, timeoutMs)
const calls = async (): Promise<number> => await stores.calls()

const sizeOf = async (store: RedisEngine, path: string): Promise<number | undefined> => (await store.statTopic(path))?.size
const lines = (...texts: string[]): Message[] => texts.map(text => ({ payload: Buffer.from(text), verbatim: false }))
const push = async (store: RedisEngine, path: string, text: string): Promise<void> => {
  const uid = (await store.topicUid(path))!
  await store.append(path, uid, lines(text))
}

t.test('a held stat costs no round trip; a change made by any other client is seen as soon as it is announced', async t => {
  const holder = await storeOn(true, 'h1:')
  const other = await storeOn(false, 'h1:')
  await other.create('t')
  await push(other, 't', 'a')
  t.ok(await held(holder, 't'), 'held')
  t.equal(await sizeOf(holder, 't'), 2)

  await push(other, 't', 'bb')
  t.ok(await soon(async () => await sizeOf(holder, 't') === 5), 'an append by another store')
  t.ok(await held(holder, 't'), 'held again')
  await admin.xadd('h1:{t}', '*', PAYLOAD_FIELD, 'ccc')
  t.ok(await soon(async () => await sizeOf(holder, 't') === 9), 'an entry XADDed by another client')
  t.ok(await held(holder, 't'))
  await other.changeOwnership('t', { mode: 0o600 })
  t.ok(await soon(async () => (await holder.statTopic('t'))?.mode === 0o600), 'a chmod')
  t.ok(await held(holder, 't'))
  await other.reset('t')
  t.ok(await soon(async () => await sizeOf(holder, 't') === 0), 'a reset')
  t.ok(await held(holder, 't'))
  await other.remove('t')
  t.ok(await soon(async () => await holder.stat('t') === undefined), 'a removal')
  await other.create('t')
  await push(other, 't', 'new')
  t.ok(await held(holder, 't'))
  await admin.flushall()
  t.ok(await soon(async () => await holder.stat('t') === undefined), 'FLUSHALL')
})

t.test('what a holder changes itself is never stale, not even before Redis announces it', async t => {
  const holder = await storeOn(true, 'h2:')
  await holder.create('t')
  t.ok(await held(holder, 't'))
  for (let n = 1; n <= 200; n++) {
    const uid = (await holder.topicUid('t'))!
    await holder.append('t', uid, lines('x'))
    const size = await sizeOf(holder, 't')
    if (size !== 2 * n) {
      t.fail(`after append ${n}: size ${size}, not ${2 * n}`)
      return
    }
  }
  t.pass('200 appends, each seen by the stat right after it')
  t.ok(await held(holder, 't'), 'held after its own appends, which brought it up to date')
  const other = await storeOn(false, 'h2:')
  await push(other, 't', 'y')
  t.ok(await soon(async () => await sizeOf(holder, 't') === 402), 'and still announced: another store\'s append after them is seen')
  t.ok(await held(holder, 't'), 'held again')
  await push(other, 't', 'z')
  t.ok(await soon(async () => await sizeOf(holder, 't') === 404), 'and the next change is announced too')
  await holder.changeOwnership('t', { mode: 0o640 })
  t.equal((await holder.statTopic('t'))?.mode, 0o640, 'a chmod')
  await holder.rename('t', 'u')
  t.equal(await holder.stat('t'), undefined, 'a rename: the old name is gone')
  t.equal(await sizeOf(holder, 'u'), 404, 'and the new one is the topic')
  await holder.remove('u')
  t.equal(await holder.stat('u'), undefined, 'a removal')
})

t.test('while announcements cannot be heard, nothing is held; tracking comes back', async t => {
  const holderName = stores.nextName
  const holder = await storeOn(true, 'h3:')
  const other = await storeOn(false, 'h3:')
  await other.create('t')
  for (const [what, name] of [['the subscriber', `${holderName}-stats-invalidations`], ['the stats connection', `${holderName}-stats`]] as const) {
    t.ok(await held(holder, 't'), `${what}: held`)
    const before = await sizeOf(holder, 't')
    const id = new RegExp(`^id=(\\d+) .* name=${name} `, 'm').exec(await admin.client('LIST') as string)?.[1]
    t.ok(id, `${what} is connected, as ${name}`)
    await admin.client('KILL', 'ID', id!)
    await push(other, 't', 'x')
    t.ok(await soon(async () => await sizeOf(holder, 't') === before! + 2), `${what} killed: an append made meanwhile is seen`)
    t.ok(await held(holder, 't'), `${what}: held again once tracking is back`)
    await push(other, 't', 'y')
    t.ok(await soon(async () => await sizeOf(holder, 't') === before! + 4), `${what}: and changes are announced again`)
  }
})

t.test('a stat that time alone may change is not held: an age limit, messages waiting to enter', async t => {
  const holder = await storeOn(true, 'h4:')
  await holder.create('aged')
  await holder.retain('aged', { seconds: 60 })
  t.notOk(await held(holder, 'aged', 1000), 'an age limit: every stat trims, so asks Redis')
  await holder.create('later')
  const uid = (await holder.topicUid('later'))!
  await holder.append('later', uid, lines('x'), 60_000)
  t.notOk(await held(holder, 'later', 1000), 'a scheduled message')
  await holder.create('limited')
  await holder.retain('limited', { messages: 10 })
  t.ok(await held(holder, 'limited'), 'a count limit that nothing exceeds: held')
})

t.test('a scan reads ahead: after a listing, or after many stats in one directory ask Redis, the others are held', async t => {
  const holder = await storeOn(true, 'h6:')
  const other = await storeOn(false, 'h6:')
  await other.mkdir('d')
  await other.mkdir('e')
  for (let i = 0; i < 300; i++) {
    await other.create(`d/t${i}`)
    await other.create(`e/t${i}`)
  }
  t.ok(await held(holder, 'd/t0'), 'tracking is up')
  await holder.list('d')
  t.ok(await pollUntil(async () => {
    const before = await calls()
    for (let i = 0; i < 300; i++) await holder.stat(`d/t${i}`)
    return await calls() - before === 1
  }, { timeoutMs: 5000, intervalMs: 50 }), 'after a listing, 300 stats ask Redis nothing')
  await push(other, 'd/t7', 'x')
  t.ok(await soon(async () => await sizeOf(holder, 'd/t7') === 2), 'and what was read ahead is announced like any held stat')

  for (let i = 0; i < 20; i++) await holder.stat(`e/t${i}`)
  t.ok(await pollUntil(async () => {
    const before = await calls()
    for (let i = 20; i < 300; i++) await holder.stat(`e/t${i}`)
    return await calls() - before === 1
  }, { timeoutMs: 5000, intervalMs: 50 }), 'after 20 stats that asked Redis, the other 280 ask nothing')
})

t.test('a user that may not subscribe to the invalidations gets no cache, and correct stats', async t => {
  await admin.call('ACL', 'SETUSER', 'nosub', 'on', '>secret', '~*', 'resetchannels', '+@all')
  t.teardown(() => admin.call('ACL', 'DELUSER', 'nosub'))
  const url = new URL(server.url)
  url.username = 'nosub'
  url.password = 'secret'
  const holder = await storeOn(true, 'h5:', url.toString())
  const other = await storeOn(false, 'h5:')
  await other.create('t')
  t.notOk(await held(holder, 't', 1000), 'nothing held')
  await push(other, 't', 'x')
  t.equal(await sizeOf(holder, 't'), 2, 'every stat asks Redis')
})
