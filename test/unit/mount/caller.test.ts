import t from 'tap'
import { currentCaller, currentOpcode, loadCallerFunction, withCaller } from '../../../src/mount/caller'

// The request's caller is current while its handler runs synchronously, and only then.

t.test("withCaller makes the handler's caller current for the dispatch, and restores the outer one", async t => {
  const callers = new Map<string, [number, number, number, number, number]>([['outer', [1, 2, 3, 0o22, 3]], ['inner', [1000, 1000, 42, 0o77, 1]]])
  const read = (handler: unknown) => callers.get(handler as string)!
  t.equal(currentCaller(), undefined)
  withCaller(read, 'outer', (handler: string, op: number) => {
    t.same([handler, op], ['outer', 7], 'the binding\'s arguments, passed on as they came')
    t.same(currentCaller(), { uid: 1, gid: 2, pid: 3, umask: 0o22, opcode: 3 })
    t.equal(currentOpcode(), 3)
    withCaller(read, 'inner', () => t.same(currentCaller(), { uid: 1000, gid: 1000, pid: 42, umask: 0o77, opcode: 1 }), ['inner'])
    t.equal(currentCaller()?.pid, 3)
  }, ['outer', 7])
  t.equal(currentCaller(), undefined)
  t.equal(currentOpcode(), 0, 'no request, no opcode')
  t.throws(() => withCaller(read, 'outer', () => { throw new Error('op failed') }, ['outer']), /op failed/)
  t.equal(currentCaller(), undefined, 'restored when the dispatch throws')
})

t.test('setup rebuilt the addon with the caller function', async t => {
  t.type(loadCallerFunction(), 'function')
})
