import t from 'tap'
import { ConsumerSweeps } from '../../../../src/topics/readers/consumer-sweeps'

/** A clock the test moves by hand. */
function fakeClock (): { now: () => number, advance: (ms: number) => void } {
  let at = 1_000_000
  return { now: () => at, advance: ms => { at += ms } }
}

t.test('a topic and group is due at once, then once per interval', async t => {
  const clock = fakeClock()
  const sweeps = new ConsumerSweeps(clock.now)
  t.equal(sweeps.take('u1', 'g', 3000), true, 'never swept: due')
  t.equal(sweeps.take('u1', 'g', 3000), false, 'just swept')
  clock.advance(2999)
  t.equal(sweeps.take('u1', 'g', 3000), false, 'not before the interval')
  clock.advance(1)
  t.equal(sweeps.take('u1', 'g', 3000), true, 'due again after it')
  t.equal(sweeps.take('u1', 'g', 3000), false, 'and counted as swept again')
})

t.test('each topic and group has its own time: readers of one group share it', async t => {
  const clock = fakeClock()
  const sweeps = new ConsumerSweeps(clock.now)
  t.equal(sweeps.take('u1', 'g', 3000), true)
  t.equal(sweeps.take('u1', 'h', 3000), true, 'another group of the topic')
  t.equal(sweeps.take('u2', 'g', 3000), true, 'the same group of another topic')
  t.equal(sweeps.take('u1', 'g', 3000), false, 'a second reader of u1 and g is not due')
  // The key joins uid and group: names that run together do not collide.
  t.equal(sweeps.take('u1g', '', 3000), true)
  t.equal(sweeps.take('u', '1g', 3000), true)
})

t.test('topics and groups no longer read are forgotten once they would be due anyway', async t => {
  const clock = fakeClock()
  const sweeps = new ConsumerSweeps(clock.now)
  for (let i = 0; i < 100; i++) sweeps.take(`u${i}`, 'g', 3000)
  t.equal(sweeps.size, 100)
  clock.advance(1000)
  t.equal(sweeps.take('fresh', 'g', 3000), true)
  t.equal(sweeps.size, 101, 'none due yet: all remembered')
  clock.advance(2000)
  t.equal(sweeps.take('u0', 'g', 3000), true, 'a forgotten one is due, as it was anyway')
  t.equal(sweeps.size, 2, 'only fresh (swept 2 s ago) and u0 (now) are left')
  t.equal(sweeps.take('fresh', 'g', 3000), false, 'fresh keeps its time')
})
