import t from 'tap'
import { isTopicError, isTransientFailure, TopicError } from '../../../src/topics/errors'
import { DeadlineError, TimeoutError } from '../../../src/util/deadline'

// The model's failures: TopicErrors with a POSIX code, and what a reader may wait out.

t.test('a TopicError carries its code and is told from other errors', async t => {
  const err = new TopicError('ENOENT', 'no such topic')
  t.ok(isTopicError(err))
  t.equal(err.code, 'ENOENT')
  t.notOk(isTopicError(new Error('ENOENT')))
  t.notOk(isTopicError({ code: 'ENOENT' }))
})

t.test('timeouts, failures marked transient and cut links are transient', async t => {
  t.ok(isTransientFailure(new TimeoutError('slow')))
  t.ok(isTransientFailure(new DeadlineError('slow', 5)))
  t.ok(isTransientFailure(Object.assign(new Error('down'), { transient: true })))
  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTCONN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']) {
    t.ok(isTransientFailure(Object.assign(new Error(code), { code })), code)
  }
})

t.test('answers and other failures are not: waiting would not change them', async t => {
  t.notOk(isTransientFailure(new TopicError('EIO', 'broken')))
  t.notOk(isTransientFailure(Object.assign(new Error('x'), { transient: false })))
  t.notOk(isTransientFailure(Object.assign(new Error('x'), { transient: 'yes' })))
  t.notOk(isTransientFailure(Object.assign(new Error('x'), { code: 'EACCES' })))
  t.notOk(isTransientFailure(new Error('Connection is closed.')), 'untyped text is not read here')
  t.notOk(isTransientFailure(undefined))
  t.notOk(isTransientFailure('ECONNRESET'))
})
