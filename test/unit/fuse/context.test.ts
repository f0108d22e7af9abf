import t from 'tap'
import { currentRequest, RequestState, withRequest } from '../../../src/fuse/context'

// The request being dispatched (withRequest, currentRequest) and RequestState's abort signal.

const state = (pid = 42): RequestState => new RequestState(1000, 100, pid, 0o22, 35, 9n)

t.test('a request\'s state carries its caller, umask, opcode and unique', async t => {
  const request = state()
  t.same([request.uid, request.gid, request.tid, request.umask, request.opcode, request.unique], [1000, 100, 42, 0o22, 35, 9n])
})

t.test('the signal is one signal, asked for any number of times; an interrupt aborts it', async t => {
  const request = state()
  const signal = request.signal
  t.equal(request.signal, signal)
  t.notOk(signal.aborted)
  let aborts = 0
  signal.addEventListener('abort', () => aborts++)
  request.interrupt()
  t.ok(signal.aborted)
  t.equal(aborts, 1)
  request.interrupt()
  t.equal(aborts, 1, 'aborted once')
})

t.test('an interrupt before anyone asked for the signal: the signal comes aborted', async t => {
  const request = state()
  request.interrupt()
  t.ok(request.signal.aborted)
})

t.test('a request never interrupted: its signal never aborts, and other requests\' interrupts do not reach it', async t => {
  const one = state(1)
  const two = state(2)
  const signal = one.signal
  two.interrupt()
  t.notOk(signal.aborted)
  t.ok(two.signal.aborted)
})

t.test('withRequest makes the request current while it dispatches, and returns what it returns', async t => {
  t.equal(currentRequest(), undefined, 'none outside a request')
  const request = state()
  const seen = withRequest(request, () => currentRequest())
  t.equal(seen, request)
  t.equal(currentRequest(), undefined)
})

t.test('nested requests: the outer is current again after the inner; a throw restores it too', async t => {
  const outer = state(1)
  const inner = state(2)
  withRequest(outer, () => {
    withRequest(inner, () => t.equal(currentRequest(), inner))
    t.equal(currentRequest(), outer)
    t.throws(() => withRequest(inner, () => { throw new Error('operation failed') }), /operation failed/)
    t.equal(currentRequest(), outer, 'after the inner threw')
  })
  t.equal(currentRequest(), undefined)
})

t.test('only what runs synchronously sees the request: after an await it is gone', async t => {
  const request = state()
  let later: unknown = 'not run'
  await withRequest(request, async () => {
    t.equal(currentRequest(), request, 'read at the start')
    await Promise.resolve()
    later = currentRequest()
  })
  t.equal(later, undefined)
})
