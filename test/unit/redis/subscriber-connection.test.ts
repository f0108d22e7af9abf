import net from 'node:net'
import t, { Test } from 'tap'
import { RawAddress } from '../../../src/redis/raw-connection'
import { RespError, RespValue } from '../../../src/redis/resp-reader'
import { SubscriberConnection } from '../../../src/redis/subscriber-connection'
import { DeadlineError } from '../../../src/util/deadline'
import { freePort, startRedis, waitFor } from '../../../scripts/support/redis-server'
import { redisPerFile } from '../../helpers/fixture'

// SubscriberConnection against a real redis-server: replies and messages told apart, invalidations, every ending heard once.

const fixture = redisPerFile()

const address = (name: string, more: Partial<RawAddress> = {}): RawAddress => ({ host: '127.0.0.1', port: fixture.server.port, name, ...more })
const text = (value: RespValue | undefined): unknown => Buffer.isBuffer(value) ? value.toString() : Array.isArray(value) ? value.map(text) : value

interface Opened {
  connection: SubscriberConnection
  messages: Array<[string, unknown]>
  /** The errors `ended` was called with, in order. */
  endings: Error[]
}

/** Opens a connection that records its messages and endings; closed when the test ends. */
async function open (t: Test, target: RawAddress, timeoutMs = 5000): Promise<Opened> {
  const messages: Array<[string, unknown]> = []
  const endings: Error[] = []
  const connection = await SubscriberConnection.open(target, timeoutMs, (channel, payload) => messages.push([channel, text(payload)]), err => endings.push(err))
  t.teardown(() => connection.close())
  return { connection, messages, endings }
}

/** The CLIENT LIST line of the connection named `name`, if there is one. */
async function clientLine (name: string): Promise<string | undefined> {
  return String(await fixture.admin.client('LIST')).split('\n').find(line => line.includes(` name=${name} `))
}

t.test('opened logged in and named; commands answered in order; an error reply rejects its command alone', async t => {
  const { connection, endings } = await open(t, address('sub-basic'))
  t.match(await clientLine('sub-basic'), /name=sub-basic/, 'the handshake named it')
  const id = await connection.command(['CLIENT', 'ID'])
  t.match(await clientLine('sub-basic'), new RegExp(`^id=${String(id)} `), 'CLIENT ID answers its own id')
  const [echo, failed, after] = await Promise.all([
    connection.command(['ECHO', 'one']),
    connection.command(['NOSUCHCOMMAND']).catch((err: unknown) => err),
    connection.command(['ECHO', 'two'])
  ])
  t.same([text(echo), text(after)], ['one', 'two'])
  t.type(failed, RespError)
  t.match((failed as RespError).message, /^ERR unknown command/)
  t.notOk(connection.broken, 'an error reply does not break the connection')
  t.same(endings, [])
})

t.test('messages go to onMessage and replies to their commands, however they interleave', async t => {
  const { connection, messages } = await open(t, address('sub-interleaved'))
  t.same(text(await connection.command(['SUBSCRIBE', 'news'])), ['subscribe', 'news', 1])
  // Published by another client while this one's PINGs are in flight: messages may come between a PING and its reply.
  const published = Array.from({ length: 300 }, (_, i) => fixture.admin.publish('news', `m${i}`))
  const pings = Array.from({ length: 100 }, () => connection.command(['PING']))
  t.same(new Set((await Promise.all(pings)).map(reply => JSON.stringify(text(reply)))), new Set([JSON.stringify(['pong', ''])]), 'every PING got its own reply')
  t.same(await Promise.all(published), Array.from({ length: 300 }, () => 1), 'each message had one subscriber')
  await waitFor(async () => messages.length === 300, 5000, 'the 300 messages')
  t.same(messages, Array.from({ length: 300 }, (_, i) => ['news', `m${i}`]), 'every message, in order')
  t.notOk(connection.broken)
})

t.test('client tracking: an invalidation is a message whose payload is the keys, or null for all of them', async t => {
  const { connection, messages } = await open(t, address('sub-tracking'))
  const id = await connection.command(['CLIENT', 'ID'])
  await connection.command(['SUBSCRIBE', '__redis__:invalidate'])
  const tracker = fixture.server.client()
  await tracker.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', String(id), 'BCAST', 'PREFIX', 'tracked:')
  await fixture.admin.set('tracked:a', '1')
  await fixture.admin.set('elsewhere', '1')
  await fixture.admin.mset('tracked:b', '2', 'tracked:c', '3')
  await waitFor(async () => messages.length >= 2, 5000, 'the invalidations')
  t.same(messages, [['__redis__:invalidate', ['tracked:a']], ['__redis__:invalidate', ['tracked:b', 'tracked:c']]], 'the keys written, those of the prefix only')
  await fixture.admin.flushall()
  await waitFor(async () => messages.length === 3, 5000, 'the invalidation of everything')
  t.same(messages[2], ['__redis__:invalidate', null])
  tracker.disconnect()
})

t.test('a silent Redis: the pending command fails at the deadline, and so does the connection, once', async t => {
  const frozen = await startRedis({ persistence: false })
  t.teardown(() => frozen.stop())
  const pid = Number(/process_id:(\d+)/.exec(await frozen.client().info('server'))![1])
  t.teardown(() => { try { process.kill(pid, 'SIGCONT') } catch {} })
  const { connection, endings } = await open(t, { host: '127.0.0.1', port: frozen.port, name: 'sub-frozen' }, 150)
  t.equal(text(await connection.command(['PING'])), 'PONG')
  process.kill(pid, 'SIGSTOP')
  const first = connection.command(['PING']).catch((err: unknown) => err)
  const second = connection.command(['ECHO', 'queued behind']).catch((err: unknown) => err)
  const failure = await first
  t.type(failure, DeadlineError)
  t.match(failure, { code: 'ETIMEDOUT', message: 'PING on a subscriber connection did not finish within 150 ms' })
  t.equal(await second, failure, 'what was queued behind fails with it')
  t.ok(connection.broken)
  t.same(endings, [failure], 'ended heard of it once')
  t.equal(await connection.command(['PING']).catch((err: unknown) => err), failure, 'a later command fails at once, with the same error')
  connection.close()
  t.equal(endings.length, 1, 'closing a broken connection tells nobody again')
  process.kill(pid, 'SIGCONT')
})

t.test('a connection Redis kills: broken, and ended hears why, once', async t => {
  const { connection, endings } = await open(t, address('sub-victim'))
  const id = await connection.command(['CLIENT', 'ID'])
  await fixture.admin.call('CLIENT', 'KILL', 'ID', String(id))
  await waitFor(async () => endings.length > 0, 5000, 'the connection to end')
  t.ok(connection.broken)
  t.equal(endings.length, 1)
  await t.rejects(connection.command(['PING']), endings[0]!)
})

t.test('close(): what is pending fails, ended hears it once, and Redis sees the connection go', async t => {
  const { connection, endings } = await open(t, address('sub-closed'))
  await connection.command(['SUBSCRIBE', 'quiet'])
  const pending = connection.command(['PING']).catch((err: unknown) => err)
  connection.close()
  t.match(await pending, { message: 'the connection was closed' })
  t.same(endings.map(err => err.message), ['the connection was closed'])
  connection.close()
  t.equal(endings.length, 1, 'a second close is nothing')
  await waitFor(async () => (await clientLine('sub-closed')) === undefined, 5000, 'Redis to see it go')
})

t.test('an open that fails: refused, or a wrong password; nothing is left connected', async t => {
  const ended = (): void => undefined
  await t.rejects(SubscriberConnection.open({ host: '127.0.0.1', port: await freePort(), name: 'sub-refused' }, 2000, () => undefined, ended), { code: 'ECONNREFUSED' })
  const secured = await startRedis({ persistence: false, args: ['--requirepass', 'right'], auth: { username: 'default', password: 'right' } })
  t.teardown(() => secured.stop())
  await t.rejects(SubscriberConnection.open({ host: '127.0.0.1', port: secured.port, name: 'sub-wrong', password: 'wrong' }, 2000, () => undefined, ended), { constructor: RespError, message: /^WRONGPASS/ })
  const admin = secured.client()
  await waitFor(async () => !/ name=sub-wrong /.test(String(await admin.client('LIST'))) && String(await admin.client('LIST')).split('\n').filter(Boolean).length === 1, 5000, 'only the admin connected')
  const right = await SubscriberConnection.open({ host: '127.0.0.1', port: secured.port, name: 'sub-right', password: 'right' }, 2000, () => undefined, ended)
  t.teardown(() => right.close())
  t.equal(text(await right.command(['PING'])), 'PONG', 'the right password opens')
})

t.test('bytes that are not RESP, or a reply nothing asked for, end the connection', async t => {
  // A peer that is no Redis: it answers the handshake, then sends what it is told to.
  let peer: net.Socket | undefined
  const fake = net.createServer(socket => {
    peer = socket
    socket.on('error', () => undefined)
    socket.once('data', () => socket.write('+OK\r\n'))
  })
  await new Promise<void>(resolve => fake.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => { peer?.destroy(); fake.close(() => resolve()) }))
  const target = { host: '127.0.0.1', port: (fake.address() as net.AddressInfo).port, name: 'sub-fake' }

  const unasked = await open(t, target)
  peer!.write('+PONG\r\n')
  await waitFor(async () => unasked.endings.length > 0, 5000, 'the connection to end')
  t.same(unasked.endings.map(err => err.message), ['a reply that nothing asked for'])
  t.ok(unasked.connection.broken)

  const garbage = await open(t, target)
  peer!.write('?not resp\r\n')
  await waitFor(async () => garbage.endings.length > 0, 5000, 'the connection to end')
  t.equal(garbage.endings.length, 1)
  t.ok(garbage.connection.broken)
})
