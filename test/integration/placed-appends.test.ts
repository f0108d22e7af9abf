import { randomBytes } from 'node:crypto'
import type Redis from 'ioredis'
import t, { Test } from 'tap'
import { PAYLOAD_FIELD, render } from '../../src/framing/entry'
import type { Message } from '../../src/framing/message'
import { TopicError } from '../../src/topics/errors'
import { PLACED_PAYLOAD_BYTES } from '../../src/topics/redis/placed-append'
import type { RedisEngine } from '../../src/topics/redis/redis-engine'
import { RedisServer, startRedis } from '../../scripts/support/redis-server'
import { StoresOn } from '../helpers/held-answers'

// Large payloads appended by XADD itself after the accounting script (src/topics/redis/placed-append.ts,
// lua/append-at.lua), on a real redis-server: what any reader sees is what append.lua would have
// left, whatever another client did in between, and a payload is never stored twice or lost.

let server: RedisServer
let admin: Redis
let stores: StoresOn
t.before(async () => {
  server = await startRedis()
  admin = server.client()
  stores = new StoresOn(t, server, admin)
})
t.teardown(() => server.stop())

const holder = async (prefix: string): Promise<RedisEngine> => await stores.store({ prefix, holdTopics: true })
/** Creates `path`, and waits until its stat is held: only then does the store place payloads. */
const created = async (t: Test, store: RedisEngine, path: string): Promise<void> => {
  await store.create(path)
  t.ok(await stores.held(store, path), 'held')
}
const big = (bytes = PLACED_PAYLOAD_BYTES * 2): Message => ({ payload: randomBytes(bytes), verbatim: true })
const calls = async (command: string): Promise<number> => {
  const line = (await admin.info('commandstats')).split('\r\n').find(l => l.startsWith(`cmdstat_${command}:`))
  return Number(/calls=(\d+)/.exec(line ?? '')?.[1] ?? 0)
}
const append = async (store: RedisEngine, path: string, message: Message): Promise<void> => {
  await store.append(path, (await store.topicUid(path))!, [message])
}
/** The stream's whole content, rendered as a read renders it. */
const content = async (stream: string): Promise<Buffer> => {
  const entries = await admin.xrangeBuffer(stream, '-', '+')
  return Buffer.concat(entries.map(([, fields]) => render(fields)))
}
const expectStored = async (t: Test, store: RedisEngine, path: string, rendered: Buffer[], stream: string): Promise<void> => {
  const whole = Buffer.concat(rendered)
  t.equal((await store.statTopic(path))?.size, whole.length, 'the size counts every payload once')
  t.equal((await store.statTopic(path))?.entries, rendered.length)
  t.equal(await admin.xlen(stream), rendered.length, 'no entry twice, none lost')
  t.ok((await content(stream)).equals(whole), 'read back byte for byte, in order')
}

t.test('a large payload is added by one MULTI, accounted as append.lua would, line or verbatim', async t => {
  const store = await holder('p1:')
  await created(t, store, 't')
  const before = await calls('exec')
  const verbatim = big()
  const line: Message = { payload: Buffer.alloc(PLACED_PAYLOAD_BYTES, 'x'), verbatim: false }
  await append(store, 't', verbatim)
  await append(store, 't', line)
  t.equal(await calls('exec') - before, 2, 'each through its MULTI')
  await expectStored(t, store, 't', [verbatim.payload, Buffer.concat([line.payload, Buffer.from('\n')])], 'p1:{t}')
  const other = await stores.store({ prefix: 'p1:' })
  t.equal((await other.statTopic('t'))?.size, verbatim.payload.length + line.payload.length + 1, 'another store sees the same size')
  const small: Message = { payload: Buffer.from('small'), verbatim: false }
  const execs = await calls('exec')
  await append(store, 't', small)
  t.equal(await calls('exec'), execs, 'a small payload goes through append.lua')
})

t.test('appends within one millisecond: each after the last, none refused', async t => {
  const store = await holder('p2:')
  await created(t, store, 't')
  const messages = Array.from({ length: 41 }, () => big(PLACED_PAYLOAD_BYTES))
  // The first makes the stream, through append.lua: the script refuses a topic without one.
  await append(store, 't', messages[0]!)
  const before = await calls('exec')
  const failedBefore = (await admin.info('commandstats')).match(/cmdstat_evalsha:.*failed_calls=(\d+)/)?.[1]
  for (const message of messages.slice(1)) await append(store, 't', message)
  t.equal(await calls('exec') - before, 40)
  t.equal((await admin.info('commandstats')).match(/cmdstat_evalsha:.*failed_calls=(\d+)/)?.[1], failedBefore, 'no script refused')
  await expectStored(t, store, 't', messages.map(m => m.payload), 'p2:{t}')
})

t.test('another client added an entry: accounted first, then the payload after it', async t => {
  const store = await holder('p3:')
  await store.create('t')
  const first = big()
  const second = big()
  await append(store, 't', first)
  await admin.xadd('p3:{t}', '*', PAYLOAD_FIELD, 'between')
  await append(store, 't', second)
  await expectStored(t, store, 't', [first.payload, Buffer.from('between\n'), second.payload], 'p3:{t}')
})

t.test('the topic removed and created again after the open: ESTALE, and nothing reaches the new one', async t => {
  const store = await holder('p4:')
  await store.create('t')
  const uid = (await store.topicUid('t'))!
  await store.append('t', uid, [big()])
  const other = await stores.store({ prefix: 'p4:' })
  await other.remove('t')
  await t.rejects(store.append('t', uid, [big()]), { code: 'ESTALE' }, 'removed')
  t.equal(await admin.exists('p4:{t}'), 0, 'no stream made again')
  await other.create('t')
  await other.append('t', (await other.topicUid('t'))!, [{ payload: Buffer.from('new'), verbatim: false }])
  await t.rejects(store.append('t', uid, [big()]), { code: 'ESTALE' }, 'replaced')
  await expectStored(t, other, 't', [Buffer.from('new\n')], 'p4:{t}')
  const next = big()
  await append(store, 't', next)
  await expectStored(t, other, 't', [Buffer.from('new\n'), next.payload], 'p4:{t}')
})

t.test('a topic with a delay or retention limits: the payload goes through append.lua and is scheduled or trimmed', async t => {
  const store = await holder('p5:')
  await store.create('late')
  await store.setDelay('late', 60_000)
  await append(store, 'late', big())
  const late = (await store.statTopic('late'))!
  t.equal(late.size, 0, 'nothing entered yet')
  t.equal(late.scheduled, 1, 'scheduled')
  await store.create('kept')
  await store.retain('kept', { messages: 2 })
  const messages = [big(), big(), big()]
  for (const message of messages) await append(store, 'kept', message)
  await expectStored(t, store, 'kept', messages.slice(1).map(m => m.payload), 'p5:{kept}')
})

t.test('the stream\'s last id is past the last entry (the newest was deleted): the payload goes after it', async t => {
  const store = await holder('p6:')
  await store.create('t')
  const first = big()
  await append(store, 't', first)
  // An entry ahead of this host's clock, deleted at once: Redis's last id stays there.
  const ahead = await admin.xadd('p6:{t}', `${Date.now() + 500}-0`, PAYLOAD_FIELD, 'gone')
  await admin.xdel('p6:{t}', ahead!)
  const second = big()
  await append(store, 't', second)
  await expectStored(t, store, 't', [first.payload, second.payload], 'p6:{t}')
  const [newest] = await admin.xrevrange('p6:{t}', '+', '-', 'COUNT', 1)
  t.ok(Number(newest![0].split('-')[0]) >= Number(ahead!.split('-')[0]), 'added after the deleted entry')
})

t.test('scripts flushed from Redis: the payload is stored once and accounted, and the next goes as before', async t => {
  const store = await holder('p7:')
  await created(t, store, 't')
  const first = big()
  await append(store, 't', first)
  await admin.script('FLUSH')
  const second = big()
  await append(store, 't', second)
  await expectStored(t, store, 't', [first.payload, second.payload], 'p7:{t}')
  const before = await calls('exec')
  const third = big()
  await append(store, 't', third)
  t.equal(await calls('exec') - before, 1)
  await expectStored(t, store, 't', [first.payload, second.payload, third.payload], 'p7:{t}')
})

t.test('Redis full: ENOSPC, and nothing stored', async t => {
  const store = await holder('p8:')
  await store.create('t')
  const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1])
  await admin.config('SET', 'maxmemory', String(used + 64 * 1024))
  try {
    await t.rejects(append(store, 't', big(1024 * 1024)), TopicError)
    t.equal(await admin.xlen('p8:{t}'), 0)
  } finally {
    await admin.config('SET', 'maxmemory', '0')
  }
  const message = big()
  await append(store, 't', message)
  await expectStored(t, store, 't', [message.payload], 'p8:{t}')
})

t.test('a placed payload notes its token: tried again, it goes through append.lua and is not applied twice', async t => {
  const store = await holder('p9:')
  await created(t, store, 't')
  const uid = (await store.topicUid('t'))!
  const message = big()
  const execs = await calls('exec')
  await store.append('t', uid, [message], undefined, { writer: 'm', request: '12', again: false })
  t.equal(await calls('exec') - execs, 1, 'placed')
  await store.append('t', uid, [message], undefined, { writer: 'm', request: '12', again: true })
  t.equal(await calls('exec') - execs, 1, 'tried again: through append.lua')
  await expectStored(t, store, 't', [message.payload], 'p9:{t}')
  t.equal(await admin.hget('p9:{t}:writes', 'm'), '12', 'the token is kept with the topic')
  t.ok(await admin.pttl('p9:{t}:writes') > 60_000, 'for a couple of minutes')
})
