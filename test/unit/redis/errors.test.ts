import Redis, { ReplyError } from 'ioredis'
import t from 'tap'
import { RedisReplyError, RedisTimeoutError, RedisUnavailableError, replyCode, typed, typedRedisError } from '../../../src/redis/errors'
import { DeadlineError, isTimeout, TimeoutError } from '../../../src/util/deadline'
import { isTransientFailure } from '../../../src/topics/errors'
import { rejection, ReplyServer, startReplyServer } from '../../helpers/reply-server'

// Reply texts as Redis and the topic scripts send them.
const REPLIES: Array<[text: string, code: string]> = [
  ['ERR UNRECONCILED another client changed the stream', 'ERR'],
  ['UNRECONCILED another client changed the stream', 'UNRECONCILED'],
  ['ESTALE the topic was removed after it was opened', 'ESTALE'],
  ['ERR ESTALE the topic was removed after it was opened', 'ERR'],
  ['ERR EXEC without MULTI', 'ERR'],
  ['ERR DB index is out of range', 'ERR'],
  ['Connection is closed.', 'ERR'],
  ['ENOENT no such topic', 'ENOENT'],
  ['ERR Error running script (call to f_2c5d1c0b9d8a): @user_script:8: user_script:8: attempt to compare nil with number', 'ERR'],
  ['ERR user_script:1: boom script: 82903a0434f1503e152f89c03c9acd881a0e8150, on @user_script:1.', 'ERR'],
  ['ERR unknown command \'XBOGUS\', with args beginning with: ', 'ERR'],
  ['OOM command not allowed when used memory > \'maxmemory\'.', 'OOM'],
  ['NOPERM User reader has no permissions to run the \'evalsha\' command', 'NOPERM'],
  ['NOPERM this user has no permissions to access one of the keys used as arguments', 'NOPERM'],
  ['READONLY You can\'t write against a read only replica.', 'READONLY'],
  ['WRONGTYPE Operation against a key holding the wrong kind of value', 'WRONGTYPE'],
  ['MOVED 123 h:p', 'MOVED'],
  ['MOVED 3999 127.0.0.1:6381', 'MOVED'],
  ['ASK 3999 127.0.0.1:6381', 'ASK'],
  ['CLUSTERDOWN The cluster is down', 'CLUSTERDOWN'],
  ['BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSCRIPT.', 'BUSY'],
  ['NOSCRIPT No matching script. Please use EVAL.', 'NOSCRIPT'],
  ['EXECABORT Transaction discarded because of previous errors.', 'EXECABORT'],
  ['WRONGPASS invalid username-password pair or user is disabled.', 'WRONGPASS'],
  ['NOAUTH Authentication required.', 'NOAUTH'],
  ['ERR', 'ERR'],
  ['ERR ', 'ERR'],
  ['', 'ERR'],
  ['lowercase is not a code', 'ERR'],
  ['ERR A one-letter word is no code', 'ERR']
]

t.test('replyCode on real reply texts', async t => {
  for (const [text, code] of REPLIES) t.equal(replyCode(text), code, JSON.stringify(text))
})

let server: ReplyServer
let redis: Redis
t.before(async () => {
  server = await startReplyServer()
  redis = await server.client()
})
t.teardown(() => server.close())

t.test('ioredis\'s ReplyErrors of real replies become RedisReplyErrors with their code and text', async t => {
  for (const [text, code] of REPLIES.filter(([text]) => text !== '')) {
    const raised = await rejection(redis.call('ERROR', text))
    t.type(raised, ReplyError, `ioredis raised a ReplyError for ${JSON.stringify(text)}`)
    const err = typedRedisError(raised)
    t.type(err, RedisReplyError)
    t.match(err, { code, message: text, name: 'RedisReplyError' }, JSON.stringify(text))
  }
  // A reply that reads like a connection failure is still a reply.
  t.match(typedRedisError(await rejection(redis.call('ERROR', 'CLOSED Connection is closed.'))), { constructor: RedisReplyError, code: 'CLOSED' })
  t.match(typedRedisError(await rejection(redis.call('ERROR', 'Command timed out'))), { constructor: RedisReplyError })
  t.match(typedRedisError(new ReplyError('OOM built by hand')), { constructor: RedisReplyError, code: 'OOM' })
})

t.test('a command ioredis gave up on is a RedisTimeoutError: a TimeoutError with code ETIMEDOUT', async t => {
  const impatient = await server.client(20)
  const raised = await rejection(impatient.call('HANG'))
  t.match(raised, { message: 'Command timed out' })
  const err = typedRedisError(raised)
  t.type(err, RedisTimeoutError)
  t.type(err, TimeoutError)
  t.ok(isTimeout(err))
  t.match(err, { code: 'ETIMEDOUT', name: 'RedisTimeoutError' })
})

t.test('no connection to send on is a RedisUnavailableError', async t => {
  const closed = await server.client()
  // In flight when the connection closed (and ioredis does not reconnect).
  const pending = closed.call('HANG')
  closed.disconnect()
  const raised = await rejection(pending)
  t.match(raised, { message: 'Connection is closed.' })
  t.match(typedRedisError(raised), { constructor: RedisUnavailableError, message: 'Connection is closed.', name: 'RedisUnavailableError' })
  const unwritableAfterClose = typedRedisError(await rejection(closed.call('PING')))
  t.match(unwritableAfterClose, { constructor: RedisUnavailableError, message: 'Connection is closed.' }, 'sent after it closed')
  const never = new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true, enableOfflineQueue: false })
  never.on('error', () => undefined)
  t.teardown(() => never.disconnect())
  const unwritable = await rejection(never.call('PING'))
  t.match(unwritable, { message: /^Stream isn't writeable/ })
  t.type(typedRedisError(unwritable), RedisUnavailableError)
  for (const message of ['Connection is closed', 'None of startup nodes is available', 'Failed to refresh slots cache.', 'Cluster isn\'t ready and enableOfflineQueue options is false']) {
    t.type(typedRedisError(new Error(message)), RedisUnavailableError, message)
  }
})

t.test('anything else comes back unchanged', async t => {
  const plain = new Error('something else')
  t.equal(typedRedisError(plain), plain)
  const looksLikeReply = new Error('OOM but not from a reply')
  t.equal(typedRedisError(looksLikeReply), looksLikeReply, 'only ioredis\'s ReplyErrors are replies')
  const nearly = new Error('Command timed out!')
  t.equal(typedRedisError(nearly), nearly)
  for (const value of ['OOM text', undefined, null, 42, { message: 'Command timed out' }]) t.equal(typedRedisError(value), value)
  for (const done of [new RedisReplyError('OOM', 'OOM x'), new RedisTimeoutError(), new DeadlineError('x', 1), new RedisUnavailableError('Connection is closed.')]) {
    t.equal(typedRedisError(done), done, `${done.name} is already typed`)
  }
})

t.test('typed() types a failure and passes a value through', async t => {
  t.equal(await typed(Promise.resolve(5)), 5)
  t.equal(await typed(redis.call('PING')), 'OK')
  await t.rejects(typed(redis.call('ERROR', 'NOPERM User u has no permissions to run the \'xadd\' command')), { constructor: RedisReplyError, code: 'NOPERM' })
  const other = new Error('other')
  t.equal(await rejection(typed(Promise.reject(other))), other)
})

t.test('a typed failure says whether waiting is right: timeouts, no connection and a busy or loading Redis', async t => {
  t.ok(isTransientFailure(new RedisTimeoutError()))
  t.ok(isTransientFailure(new RedisUnavailableError('Connection is closed.')))
  for (const code of ['LOADING', 'BUSY', 'CLUSTERDOWN', 'TRYAGAIN', 'MASTERDOWN', 'NOREPLICAS']) {
    t.ok(isTransientFailure(new RedisReplyError(code, `${code} x`)), code)
  }
  for (const code of ['ERR', 'OOM', 'READONLY', 'NOPERM', 'WRONGTYPE', 'NOSCRIPT']) {
    t.notOk(isTransientFailure(new RedisReplyError(code, `${code} x`)), code)
  }
})
