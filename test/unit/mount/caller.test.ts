import t from 'tap'
import { withRequest } from '../../../src/fuse/context'
import { currentCaller } from '../../../src/mount/caller'

t.test('the caller is the request being dispatched, and none outside one', async t => {
  const signal = new AbortController().signal
  t.equal(currentCaller(), undefined)
  withRequest({ uid: 1000, gid: 100, tid: 42, umask: 0o22, opcode: 35, unique: 9n, signal }, () => {
    t.match(currentCaller(), { uid: 1000, gid: 100, tid: 42, umask: 0o22, opcode: 35, unique: 9n })
    withRequest({ uid: 0, gid: 0, tid: 7, umask: 0, opcode: 1, unique: 10n, signal }, () => t.equal(currentCaller()?.tid, 7))
    t.equal(currentCaller()?.tid, 42, 'the outer request again after a nested one')
  })
  t.equal(currentCaller(), undefined)
  t.throws(() => withRequest({ uid: 0, gid: 0, tid: 1, umask: 0, opcode: 1, unique: 10n, signal }, () => { throw new Error('op failed') }), /op failed/)
  t.equal(currentCaller(), undefined, 'cleared when the dispatch throws')
})
