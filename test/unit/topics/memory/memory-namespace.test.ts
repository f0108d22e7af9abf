import t from 'tap'
import { MemoryNamespace } from '../../../../src/topics/memory/memory-namespace'
import { fakeClock } from '../../../helpers/fake-clock'

// The memory engine's directories (src/topics/memory/memory-namespace.ts): which names each lists,
// and the ownership and times each stores of its own, on a clock the test sets.

/** Date.now() answers what the test sets, until the test ends. */
const clock = fakeClock

t.test('a name is known by how its parent lists it; nothing is listed in a directory nobody made', async t => {
  const names = new MemoryNamespace()
  names.enlist('', 'orders', 'topic')
  names.addDirectory('team')
  names.enlist('team', 'jobs', 'topic')
  t.equal(names.kindOf('orders'), 'topic')
  t.equal(names.kindOf('team'), 'directory')
  t.equal(names.kindOf('team/jobs'), 'topic')
  t.equal(names.kindOf('team/none'), undefined)
  t.equal(names.kindOf('nowhere/jobs'), undefined)
  t.same([...names.children('')], [['orders', 'topic'], ['team', 'directory']])
  t.same([...names.children('orders')], [], 'a topic lists nothing')
})

t.test('listing and unlisting a name moves the parent\'s mtime and ctime; unlisting a name not there moves nothing', async t => {
  const time = clock(t, 1000)
  const names = new MemoryNamespace()
  names.addDirectory('d')
  t.same(names.directoryStat(''), { kind: 'directory', mtimeMs: 1000, ctimeMs: 1000 }, 'the root, when d was added')
  t.same(names.directoryStat('d'), { kind: 'directory', mtimeMs: 1000, ctimeMs: 1000 })
  time.now = 2000
  names.enlist('d', 't', 'topic')
  t.same(names.directoryStat('d'), { kind: 'directory', mtimeMs: 2000, ctimeMs: 2000 })
  time.now = 3000
  t.notOk(names.unlist('d', 'other'), 'not listed')
  t.same(names.directoryStat('d'), { kind: 'directory', mtimeMs: 2000, ctimeMs: 2000 }, 'untouched')
  t.notOk(names.unlist('elsewhere', 't'), 'a directory that lists nothing')
  t.same(names.directoryStat('elsewhere'), { kind: 'directory' }, 'nothing stored for it')
  t.ok(names.unlist('d', 't'))
  t.same(names.directoryStat('d'), { kind: 'directory', mtimeMs: 3000, ctimeMs: 3000 })
  t.same([...names.children('d')], [], 'its last name gone: an empty listing')
})

t.test('a new directory stores its creator\'s ownership; a chmod keeps the mtime and moves the ctime', async t => {
  const time = clock(t, 1000)
  const names = new MemoryNamespace()
  names.addDirectory('mine', { owner: 1000, group: 100, mode: 0o40750 })
  t.same(names.directoryStat('mine'), { kind: 'directory', mtimeMs: 1000, ctimeMs: 1000, owner: 1000, group: 100, mode: 0o750 }, 'the mode keeps its permission bits only')
  time.now = 5000
  names.changeOwnership('mine', { group: 200 })
  t.same(names.directoryStat('mine'), { kind: 'directory', mtimeMs: 1000, ctimeMs: 5000, owner: 1000, group: 200, mode: 0o750 }, 'only the group changed')
  time.now = 6000
  names.enlist('mine', 'x', 'topic')
  t.match(names.directoryStat('mine'), { owner: 1000, group: 200, mode: 0o750, mtimeMs: 6000 }, 'a change of its entries keeps its ownership')
})

t.test('the root has nothing stored until it is changed, and can be chmodded', async t => {
  const time = clock(t, 7000)
  const names = new MemoryNamespace()
  t.same(names.directoryStat(''), { kind: 'directory' }, 'the mount\'s defaults apply')
  names.changeOwnership('', { mode: 0o1777 })
  t.same(names.directoryStat(''), { kind: 'directory', mode: 0o1777, ctimeMs: 7000 })
  time.now = 8000
  names.enlist('', 't', 'topic')
  t.same(names.directoryStat(''), { kind: 'directory', mode: 0o1777, ctimeMs: 8000, mtimeMs: 8000 })
})

t.test('a directory removed and made again by the same name has nothing of the old one', async t => {
  const time = clock(t, 1000)
  const names = new MemoryNamespace()
  names.addDirectory('d', { owner: 5, group: 5, mode: 0o700 })
  time.now = 2000
  names.removeDirectory('d')
  t.equal(names.kindOf('d'), undefined)
  t.same(names.directoryStat(''), { kind: 'directory', mtimeMs: 2000, ctimeMs: 2000 }, 'the parent changed')
  t.same(names.directoryStat('d'), { kind: 'directory' }, 'its attributes are gone')
  time.now = 3000
  names.addDirectory('d')
  t.same(names.directoryStat('d'), { kind: 'directory', mtimeMs: 3000, ctimeMs: 3000 }, 'no owner, group or mode of the old one')
})

t.test('clear forgets every directory and name', async t => {
  clock(t, 1)
  const names = new MemoryNamespace()
  names.addDirectory('a', { owner: 1, group: 1, mode: 0o755 })
  names.enlist('a', 't', 'topic')
  names.changeOwnership('', { owner: 9 })
  names.clear()
  t.equal(names.kindOf('a'), undefined)
  t.same([...names.children('')], [])
  t.same(names.directoryStat(''), { kind: 'directory' })
  t.same(names.directoryStat('a'), { kind: 'directory' })
})
