import t from 'tap'
import { RedisTimeoutError } from '../../../src/redis/errors'
import { DeadlineError, isTimeout, pollUntil, sleep, TimeoutError, withDeadline } from '../../../src/util/deadline'

const never = new Promise<never>(() => undefined)
/** Timers that keep the process alive now (withDeadline must not leave its own behind). */
const timers = (): number => process.getActiveResourcesInfo().filter(kind => kind === 'Timeout').length

t.test('a promise that settles in time settles as it did, and its timer is cleared', async t => {
  const before = timers()
  t.equal(await withDeadline(Promise.resolve(7), 60_000, 'work'), 7)
  t.equal(timers(), before, 'no timer left after a resolution')
  const failure = new Error('own failure')
  await t.rejects(withDeadline(Promise.reject(failure), 60_000, 'work'), failure)
  t.equal(timers(), before, 'no timer left after a rejection')
  t.equal(await withDeadline(sleep(1).then(() => 'late but in time'), 60_000, 'work'), 'late but in time')
})

t.test('a promise that takes too long rejects with DeadlineError; the work goes on', async t => {
  const started = Date.now()
  await t.rejects(withDeadline(never, 5, 'the handshake'), {
    constructor: DeadlineError, name: 'DeadlineError', code: 'ETIMEDOUT', message: 'the handshake did not finish within 5 ms'
  })
  t.ok(Date.now() - started >= 4, 'not before the deadline')
  let finish!: (value: string) => void
  const work = new Promise<string>(resolve => { finish = resolve })
  await t.rejects(withDeadline(work, 2, 'work'), DeadlineError)
  finish('done anyway')
  t.equal(await work, 'done anyway', 'the work itself is not cancelled')
  const late = withDeadline(new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error('too late')), 20)), 2, 'work')
  await t.rejects(late, DeadlineError, 'a later rejection does not replace the deadline')
})

t.test('isTimeout tells our timeouts from everything else', async t => {
  t.ok(isTimeout(new DeadlineError('x', 1)))
  t.ok(isTimeout(new TimeoutError('x')))
  t.ok(isTimeout(new RedisTimeoutError()))
  t.notOk(isTimeout(Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' })), 'a socket\'s ETIMEDOUT is not ours')
  t.notOk(isTimeout(new Error('Command timed out')), 'an untyped ioredis timeout is not typed yet')
  t.notOk(isTimeout(undefined))
  t.notOk(isTimeout({ name: 'TimeoutError', code: 'ETIMEDOUT' }))
  t.equal(new TimeoutError('x').code, 'ETIMEDOUT')
})

t.test('pollUntil resolves true as soon as the check passes', async t => {
  let calls = 0
  t.equal(await pollUntil(() => { calls++; return true }, { timeoutMs: 1000, intervalMs: 1000 }), true)
  t.equal(calls, 1, 'checked once, no pause')
  calls = 0
  t.equal(await pollUntil(() => ++calls === 3, { timeoutMs: 10_000, intervalMs: 1 }), true)
  t.equal(calls, 3)
  calls = 0
  t.equal(await pollUntil(async () => { await sleep(0); return ++calls === 2 }, { timeoutMs: 10_000, intervalMs: 1 }), true, 'an async check')
  t.equal(calls, 2)
})

t.test('pollUntil resolves false once the time is out, having checked at least once', async t => {
  let calls = 0
  t.equal(await pollUntil(() => { calls++; return false }, { timeoutMs: 0, intervalMs: 1000 }), false)
  t.equal(calls, 1, 'no time: one check, no pause')
  calls = 0
  const started = Date.now()
  t.equal(await pollUntil(() => { calls++; return false }, { timeoutMs: 10, intervalMs: 2 }), false)
  const took = Date.now() - started
  t.ok(took >= 10 && took < 1000, `gave up after ${took} ms`)
  t.ok(calls >= 2 && calls <= 11, `${calls} checks, about one per interval`)
  await t.rejects(pollUntil(() => { throw new Error('check failed') }, { timeoutMs: 100, intervalMs: 1 }), { message: 'check failed' })
})
