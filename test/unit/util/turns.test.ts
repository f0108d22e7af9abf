import t from 'tap'
import { Turns } from '../../../src/util/turns'

const never = new AbortController().signal

t.test('one turn at a time, in the order asked for; ending twice ends once', async t => {
  const turns = new Turns()
  const order: string[] = []
  const first = (await turns.take(never))!
  const second = turns.take(never).then(end => { order.push('second'); return end! })
  const third = turns.take(never).then(end => { order.push('third'); return end! })
  await new Promise(resolve => setImmediate(resolve))
  t.same(order, [], 'nobody while the first has its turn')
  first()
  first()
  const endSecond = await second
  await new Promise(resolve => setImmediate(resolve))
  t.same(order, ['second'], 'the second, and not yet the third, though the first ended twice')
  endSecond()
  ;(await third)()
  t.same(order, ['second', 'third'])
  t.ok(turns.idle)
})

t.test('an aborted wait gives up its place; an aborted signal gets no turn', async t => {
  const turns = new Turns()
  const first = (await turns.take(never))!
  const abort = new AbortController()
  const given = turns.take(abort.signal)
  const after = turns.take(never)
  abort.abort()
  t.equal(await given, undefined)
  first()
  const end = await after
  t.type(end, 'function', 'the turn skips the one that gave up')
  t.equal(await turns.take(abort.signal), undefined)
  end!()
  t.ok(turns.idle)
})
