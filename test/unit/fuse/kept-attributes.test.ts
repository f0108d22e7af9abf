import t from 'tap'
import { KeptAttributes } from '../../../src/fuse/kept-attributes'

t.test('only nodes handed out with a keeping time, and still kept, need the word when they change', async t => {
  const kept = new KeptAttributes()
  kept.kept(2, 1, 1000)
  kept.kept(3, 0, 1000)
  t.same(kept.changed(3, 1100), [], 'kept no time: the kernel asks anyway')
  t.same(kept.changed(2, 1100), [2], 'kept until 2000')
  t.same(kept.changed(2, 1200), [], 'already told: not kept any more')
  kept.kept(2, 1, 1300)
  t.same(kept.changed(2, 2300), [], 'its time ran out: the kernel asks anyway')
  t.same(kept.changed(4, 1000), [], 'never handed out')
})

t.test('a change of every node names those still kept, once', async t => {
  const kept = new KeptAttributes()
  kept.kept(2, 1, 1000)
  kept.kept(3, 2, 1000)
  kept.kept(4, 0.5, 1000)
  t.same(kept.changed(undefined, 1600).sort(), [2, 3])
  t.same(kept.changed(undefined, 1600), [])
  t.equal(kept.size, 0)
})

t.test('a longer keep is not shortened by a shorter one; a forgotten node is not named', async t => {
  const kept = new KeptAttributes()
  kept.kept(2, 5, 1000)
  kept.kept(2, 1, 1000)
  t.same(kept.changed(2, 3000), [2], 'the kernel still holds the 5 s answer')
  kept.kept(5, 1, 1000)
  kept.forgotten(5)
  t.same(kept.changed(5, 1100), [])
})

t.test('nodes whose time ran out are swept as others are added', async t => {
  const kept = new KeptAttributes()
  for (let id = 1; id <= 5000; id++) kept.kept(id, 1, id < 4000 ? 0 : 10_000)
  t.ok(kept.size < 5000, `swept: ${kept.size} left`)
  t.same(kept.changed(4500, 10_000), [4500])
})
