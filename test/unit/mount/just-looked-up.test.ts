import t from 'tap'
import type { Stat } from '../../../src/fuse/types'
import { JustLookedUp } from '../../../src/mount/just-looked-up'

const stat = (size: number): Stat => ({ mode: 0o100644, uid: 0, gid: 0, size, mtime: 0, atime: 0, ctime: 0 })

t.test('a lookup\'s attributes answer one getattr within the window, and only one', async t => {
  let now = 100
  const looked = new JustLookedUp(() => now, 1)
  looked.remember('/t', stat(5), looked.begin())
  now += 0.5
  t.equal(looked.take('/t')?.size, 5)
  t.equal(looked.take('/t'), undefined, 'taken once')
  looked.remember('/t', stat(6), looked.begin())
  now += 1.5
  t.equal(looked.take('/t'), undefined, 'too old')
})

t.test('a change on this mount drops what was read before, and what a lookup begun before it reads', async t => {
  const looked = new JustLookedUp(() => 0, 1)
  looked.remember('/a', stat(1), looked.begin())
  const begun = looked.begin()
  looked.changed()
  t.equal(looked.take('/a'), undefined, 'read before the change')
  looked.remember('/b', stat(2), begun)
  t.equal(looked.take('/b'), undefined, 'begun before the change, done after it')
  looked.remember('/b', stat(3), looked.begin())
  t.equal(looked.take('/b')?.size, 3)
})
