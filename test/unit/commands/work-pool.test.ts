import t from 'tap'
import { WorkPool } from '../../../src/commands/work-pool'

/** A job the test ends when it wants to. */
function job (): { promise: Promise<void>, finish: () => void, fail: () => void } {
  let finish!: () => void
  let fail!: () => void
  const promise = new Promise<void>((resolve, reject) => {
    finish = resolve
    fail = () => reject(new Error('failed'))
  })
  return { promise, finish, fail }
}

/** Whether `promise` has settled after the pending callbacks ran, and with what. */
async function peek<T> (promise: Promise<T>): Promise<{ settled: boolean, value?: T }> {
  let state: { settled: boolean, value?: T } = { settled: false }
  promise.then(value => { state = { settled: true, value } }, () => { state = { settled: true } })
  await new Promise(resolve => setImmediate(resolve))
  return state
}

t.test('a vacancy while fewer than `concurrency` jobs run; a settled job, failed or not, frees its place', async t => {
  const pool = new WorkPool(2)
  t.same(await peek(pool.vacancy()), { settled: true, value: true })
  const first = job()
  const second = job()
  pool.add(first.promise)
  pool.add(second.promise)
  t.equal(pool.running, 2)
  const waiting = pool.vacancy()
  t.same(await peek(waiting), { settled: false }, 'full: the next job waits')
  second.fail()
  t.same(await peek(waiting), { settled: true, value: true }, 'a failed job frees its place as well')
  t.equal(pool.running, 1)
  first.finish()
  await pool.drained()
  t.equal(pool.running, 0)
})

t.test('the first stop drains: no vacancy, `taking` aborts, running jobs go on; the second kills', async t => {
  const pool = new WorkPool(1)
  const running = job()
  pool.add(running.promise)
  const waiting = pool.vacancy()
  t.equal(pool.stop(), 'draining')
  t.same(await peek(waiting), { settled: true, value: false }, 'a wait for a vacancy ends with no vacancy')
  t.equal(pool.taking.aborted, true)
  t.equal(pool.killing.aborted, false, 'running jobs are not told to end')
  t.same(await peek(pool.vacancy()), { settled: true, value: false })
  const drained = pool.drained()
  t.same(await peek(drained), { settled: false }, 'drained waits for the running job')
  t.equal(pool.stop(), 'killing')
  t.equal(pool.killing.aborted, true)
  t.equal(pool.stop(), 'killing', 'later stops kill again')
  running.finish()
  t.same(await peek(drained), { settled: true, value: undefined })
})

t.test('drain stops taking without counting as a stop request: the next stop kills', async t => {
  const pool = new WorkPool(3)
  pool.drain()
  pool.drain()
  t.equal(pool.taking.aborted, true)
  t.equal(pool.killing.aborted, false)
  t.equal(pool.stop(), 'killing')
  await pool.drained()
  t.pass('an empty pool is drained at once')
})

t.test('the concurrency is a positive whole number', async t => {
  for (const bad of [0, -1, 1.5, NaN]) t.throws(() => new WorkPool(bad), RangeError, String(bad))
})
