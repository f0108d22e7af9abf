import Redis, { ReplyError } from 'ioredis'
import t from 'tap'
import { RedisReplyError, RedisTimeoutError, RedisUnavailableError } from '../../../../src/redis/errors'
import { isTopicError, TOPIC_ERROR_CODES, TopicError } from '../../../../src/topics/errors'
import { toTopicFailure, UnreconciledError } from '../../../../src/topics/redis/failures'
import { DeadlineError, TimeoutError } from '../../../../src/util/deadline'
import { rejection, ReplyServer, startReplyServer } from '../../../helpers/reply-server'

let server: ReplyServer
let redis: Redis
t.before(async () => {
  server = await startReplyServer()
  redis = await server.client()
})
t.teardown(() => server.close())

/** What toTopicFailure makes of the error ioredis raises for the reply `text`. */
async function failureOf (text: string): Promise<unknown> {
  const raised = await rejection(redis.call('ERROR', text))
  if (!(raised instanceof ReplyError)) throw new Error(`ioredis raised ${String(raised)}`)
  return toTopicFailure(raised)
}

t.test('the scripts\' replies become TopicErrors with their code, with or without Redis\'s "ERR "', async t => {
  for (const text of ['ESTALE the topic was removed after it was opened', 'ERR ESTALE the topic was removed after it was opened']) {
    const err = await failureOf(text)
    t.type(err, TopicError)
    t.ok(isTopicError(err))
    t.match(err, { code: 'ESTALE', message: 'ESTALE the topic was removed after it was opened', name: 'TopicError' }, text)
  }
  t.match(await failureOf('ENOENT no such topic'), { constructor: TopicError, code: 'ENOENT', message: 'ENOENT no such topic' })
  for (const code of TOPIC_ERROR_CODES) {
    t.match(await failureOf(`${code} reason`), { constructor: TopicError, code, message: `${code} reason` }, code)
    t.match(await failureOf(`ERR ${code} reason`), { constructor: TopicError, code, message: `${code} reason` }, `ERR ${code}`)
  }
})

t.test('UNRECONCILED becomes an UnreconciledError', async t => {
  for (const text of ['UNRECONCILED another client changed the stream', 'ERR UNRECONCILED another client changed the stream']) {
    const err = await failureOf(text)
    t.type(err, UnreconciledError)
    t.notOk(isTopicError(err))
    t.match(err, { message: 'UNRECONCILED another client changed the stream', name: 'UnreconciledError' }, text)
  }
})

t.test('replies with a natural errno: OOM is ENOSPC, READONLY is EROFS, NOPERM is EACCES', async t => {
  const cases: Array<[string, string]> = [
    ['OOM command not allowed when used memory > \'maxmemory\'.', 'ENOSPC'],
    ['READONLY You can\'t write against a read only replica.', 'EROFS'],
    ['NOPERM User reader has no permissions to run the \'evalsha\' command', 'EACCES'],
    ['NOPERM this user has no permissions to access one of the keys used as arguments', 'EACCES']
  ]
  for (const [text, code] of cases) {
    t.match(await failureOf(text), { constructor: TopicError, code, message: text }, text)
  }
})

t.test('other replies stay RedisReplyErrors with their code', async t => {
  const cases: Array<[string, string]> = [
    ['ERR Error running script (call to f_2c5d1c0b9d8a): @user_script:8: user_script:8: attempt to compare nil with number', 'ERR'],
    ['ERR user_script:1: boom script: 82903a0434f1503e152f89c03c9acd881a0e8150, on @user_script:1.', 'ERR'],
    ['WRONGTYPE Operation against a key holding the wrong kind of value', 'WRONGTYPE'],
    ['MOVED 123 h:p', 'MOVED'],
    ['CLUSTERDOWN The cluster is down', 'CLUSTERDOWN'],
    ['BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSCRIPT.', 'BUSY'],
    ['NOSCRIPT No matching script. Please use EVAL.', 'NOSCRIPT']
  ]
  for (const [text, code] of cases) {
    const err = await failureOf(text)
    t.type(err, RedisReplyError, text)
    t.notOk(isTopicError(err))
    t.match(err, { code, message: text }, text)
  }
})

t.test('timeouts stay TimeoutErrors; lost connections stay RedisUnavailableErrors; others unchanged', async t => {
  const impatient = await server.client(20)
  const timedOut = toTopicFailure(await rejection(impatient.call('HANG')))
  t.type(timedOut, RedisTimeoutError)
  t.type(timedOut, TimeoutError)
  t.match(timedOut, { code: 'ETIMEDOUT' })
  t.notOk(isTopicError(timedOut))
  const deadline = new DeadlineError('a page request', 10)
  t.equal(toTopicFailure(deadline), deadline)
  t.type(toTopicFailure(new Error('Connection is closed.')), RedisUnavailableError)
  const topic = new TopicError('ENOENT', 'no such topic')
  t.equal(toTopicFailure(topic), topic, 'a TopicError passes through')
  const plain = new Error('ESTALE not from Redis')
  t.equal(toTopicFailure(plain), plain, 'only replies are read')
  t.equal(toTopicFailure('text'), 'text')
})
