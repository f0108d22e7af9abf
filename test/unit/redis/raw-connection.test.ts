import type Redis from 'ioredis'
import t, { Test } from 'tap'
import { RawAddress, RawConnection } from '../../../src/redis/raw-connection'
import { RespError, RespValue } from '../../../src/redis/resp-reader'
import { DeadlineError, pollUntil } from '../../../src/util/deadline'
import { freePort, startRedis } from '../../../scripts/support/redis-server'
import { redisPerFile } from '../../helpers/fixture'

// RawConnection against a real redis-server: the connection ranged pages are read on.

const fixture = redisPerFile()

const address = (name: string, more: Partial<RawAddress> = {}): RawAddress => ({ host: '127.0.0.1', port: fixture.server.port, name, ...more })
const text = (value: RespValue): unknown => Buffer.isBuffer(value) ? value.toString() : value

/** Opens a connection that the test closes however it ends. */
async function open (t: Test, target: RawAddress, timeoutMs = 5000, onData?: (bytes: number) => void): Promise<RawConnection> {
  const connection = await RawConnection.open(target, timeoutMs, onData)
  t.teardown(() => connection.close())
  return connection
}

/** `promise`, or a plain failure once it has been pending `ms`: a broken deadline fails the test, not tap's timeout. */
function within<T> (promise: Promise<T>, ms = 3000): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const bound = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms) })
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer))
}

/** The CLIENT LIST line of the connection named `name`, if there is one. */
async function clientLine (redis: Redis, name: string): Promise<string | undefined> {
  return String(await redis.client('LIST')).split('\n').find(line => line.includes(` name=${name} `))
}

t.test('a request gets its replies, errors included as values', async t => {
  let received = 0
  const connection = await open(t, address('raw-basic'), 5000, bytes => { received += bytes })
  t.match(await clientLine(fixture.admin, 'raw-basic'), /name=raw-basic/, 'the handshake named the connection')
  const replies = await connection.values([['PING'], ['SET', 'raw:k', Buffer.from([0, 13, 10, 255])], ['GET', 'raw:k'], ['INCR', 'raw:n'], ['GET', 'raw:none'], ['NOSUCHCOMMAND']])
  t.equal(replies[0], 'PONG')
  t.equal(replies[1], 'OK')
  t.same(replies[2], Buffer.from([0, 13, 10, 255]), 'binary bulk replies')
  t.equal(replies[3], 1)
  t.equal(replies[4], null)
  t.type(replies[5], RespError)
  t.match((replies[5] as RespError).message, /^ERR unknown command/)
  t.notOk(connection.broken, 'an error reply does not break the connection')
  t.same((await connection.values([['ECHO', 'still here']])).map(text), ['still here'])
  t.ok(received > 0, `onData heard of ${received} bytes`)
})

t.test('pipelined requests are answered in order, each with its own replies', async t => {
  const connection = await open(t, address('raw-pipelined'))
  const settled: number[] = []
  const requests = Array.from({ length: 200 }, (_, i) => connection.values(
    i % 10 === 0 ? [['ECHO', `r${i}`], ['LRANGE', 'raw:none', 0, -1], ['ECHO', 'x'.repeat(100_000)]] : [['ECHO', `r${i}`]]
  ).then(replies => { settled.push(i); return replies }))
  const all = await Promise.all(requests)
  all.forEach((replies, i) => {
    if (text(replies[0]!) !== `r${i}`) t.fail(`request ${i} got ${String(text(replies[0]!))}`)
  })
  t.same(all[10]!.map(reply => Array.isArray(reply) ? reply : (text(reply) as string).length), [3, [], 100_000])
  t.same(settled, Array.from({ length: 200 }, (_, i) => i), 'settled in the order sent')
  const big = await connection.values([['SET', 'raw:big', Buffer.alloc(4 * 1024 * 1024, 'b')], ['GET', 'raw:big'], ['ECHO', 'after']])
  t.equal((big[1] as Buffer).length, 4 * 1024 * 1024, 'a reply of megabytes')
  t.equal(text(big[2]!), 'after')
})

t.test('credentials and the database are sent in the handshake; a wrong password fails the open', async t => {
  const secured = await startRedis({ persistence: false, args: ['--requirepass', 'right', '--user', 'reader', 'on', '>pw', '~*', '&*', '+@all'], auth: { username: 'default', password: 'right' } })
  t.teardown(() => secured.stop())
  const at = (more: Partial<RawAddress>): RawAddress => ({ host: '127.0.0.1', port: secured.port, name: 'raw-auth', ...more })
  await t.rejects(RawConnection.open(at({ password: 'wrong' }), 2000), { constructor: RespError, message: /^WRONGPASS/ })
  await t.rejects(RawConnection.open(at({ username: 'reader', password: 'wrong' }), 2000), { constructor: RespError, message: /^WRONGPASS/ })
  await t.rejects(RawConnection.open(at({}), 2000), { constructor: RespError, message: /^NOAUTH/ }, 'no password at all')
  const admin = secured.client()
  const user = await open(t, at({ username: 'reader', password: 'pw', db: 3 }), 2000)
  await user.values([['SET', 'raw:db', 'three']])
  t.match(await clientLine(admin, 'raw-auth'), / db=3 .*user=reader/)
  await admin.select(3)
  t.equal(await admin.get('raw:db'), 'three', 'SELECT was sent')
  const password = await open(t, at({ password: 'right' }), 2000)
  t.same((await password.values([['PING']])), ['PONG'])
})

t.test('a refused connection fails the open with the socket\'s code', async t => {
  await t.rejects(RawConnection.open({ host: '127.0.0.1', port: await freePort(), name: 'raw-refused' }, 2000), { code: 'ECONNREFUSED' })
})

t.test('the deadline bounds a silence: a blocked reply within it is waited for, a longer one fails', async t => {
  const patient = await open(t, address('raw-patient'), 2000)
  t.same(await patient.values([['BLPOP', 'raw:empty', '0.05']]), [null], 'a 50 ms wait within a 2 s deadline')
  const impatient = await open(t, address('raw-impatient'), 50)
  const started = Date.now()
  await t.rejects(within(impatient.values([['BLPOP', 'raw:empty', '5']])), { constructor: DeadlineError, code: 'ETIMEDOUT', message: 'a page request did not finish within 50 ms' })
  t.ok(Date.now() - started < 2000, `failed after ${Date.now() - started} ms`)
  t.ok(impatient.broken, 'a timed-out connection is broken for good')
  await t.rejects(impatient.values([['PING']]), DeadlineError, 'and fails every later request at once')
})

t.test('a frozen Redis fails pending requests at the deadline, and the open of a new connection', async t => {
  const frozen = await startRedis({ persistence: false })
  t.teardown(() => frozen.stop())
  const pid = Number(/process_id:(\d+)/.exec(await frozen.client().info('server'))![1])
  t.teardown(() => { try { process.kill(pid, 'SIGCONT') } catch {} })
  const connection = await open(t, { host: '127.0.0.1', port: frozen.port, name: 'raw-frozen' }, 200)
  t.same(await connection.values([['PING']]), ['PONG'])
  process.kill(pid, 'SIGSTOP')
  const started = Date.now()
  const first = connection.values([['PING']])
  const second = connection.values([['ECHO', 'queued behind']])
  await Promise.all([
    t.rejects(within(first), { constructor: DeadlineError, code: 'ETIMEDOUT' }),
    t.rejects(within(second), { constructor: DeadlineError, code: 'ETIMEDOUT' }, 'every pending request fails with it')
  ])
  const took = Date.now() - started
  t.ok(took >= 150 && took < 3000, `after ${took} ms`)
  t.ok(connection.broken)
  // The kernel still accepts the connection; the handshake gets no answer.
  await t.rejects(within(RawConnection.open({ host: '127.0.0.1', port: frozen.port, name: 'raw-frozen-2' }, 200)), { constructor: DeadlineError, code: 'ETIMEDOUT' })
  process.kill(pid, 'SIGCONT')
  const again = await open(t, { host: '127.0.0.1', port: frozen.port, name: 'raw-thawed' }, 2000)
  t.same(await again.values([['PING']]), ['PONG'], 'a new connection works once Redis is back')
})

t.test('a connection killed by Redis is broken and fails what was pending', async t => {
  const connection = await open(t, address('raw-victim'))
  // Its failure is taken at once, so that it is not an unhandled rejection while the test looks.
  const pending = within(connection.values([['BLPOP', 'raw:never', '0']])).then(() => undefined, (err: Error) => err)
  let line: string | undefined
  t.ok(await pollUntil(async () => /cmd=blpop/.test((line = await clientLine(fixture.admin, 'raw-victim')) ?? ''), { timeoutMs: 2000, intervalMs: 5 }), 'blocked in BLPOP')
  await fixture.admin.call('CLIENT', 'KILL', 'ID', /\bid=(\d+)/.exec(line!)![1]!)
  const failure = await pending
  t.ok(failure, 'the pending request failed')
  t.notMatch(failure, { message: /still pending/ })
  t.ok(connection.broken)
  t.equal(await connection.values([['PING']]).catch((err: Error) => err), failure, 'later requests fail with the same error, at once')
})

t.test('close() fails what is pending and breaks the connection', async t => {
  const connection = await RawConnection.open(address('raw-closed'), 5000)
  const pending = connection.values([['BLPOP', 'raw:never', '0']])
  connection.close()
  await t.rejects(within(pending), { message: 'the connection was closed' })
  t.ok(connection.broken)
  await t.rejects(connection.values([['PING']]), { message: 'the connection was closed' })
  t.ok(await pollUntil(async () => (await clientLine(fixture.admin, 'raw-closed')) === undefined, { timeoutMs: 2000, intervalMs: 10 }), 'Redis sees it go')
})
