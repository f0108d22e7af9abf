import t from 'tap'
import { isDyingInKernel, readsOfDyingThreads, readsToRelease } from '../../../src/mount/reaper'
import { parseViewPath } from '../../../src/mount/views'
import { compareIds, minId } from '../../../src/topics/stream-id'

t.test('view paths mirror the namespace', async t => {
  t.same(parseViewPath('/jobs'), { view: 'plain', path: 'jobs' })
  t.same(parseViewPath('/.follow'), { view: 'follow', path: '' })
  t.same(parseViewPath('/.follow/team/a/orders'), { view: 'follow', path: 'team/a/orders' })
  t.same(parseViewPath('/.live/x'), { view: 'live', path: 'x' })
  t.same(parseViewPath('/team/.follow/x'), { view: 'plain', path: 'team/.follow/x' })
  t.same(parseViewPath('/'), { view: 'plain', path: '' })
  t.same(parseViewPath('/.group'), { view: 'group', path: '' }, '.group itself names no group')
  t.same(parseViewPath('/.group/workers'), { view: 'group', group: 'workers', path: '' })
  t.same(parseViewPath('/.group/workers/team/a/orders'), { view: 'group', group: 'workers', path: 'team/a/orders' })
  t.same(parseViewPath('/.group/.follow/x'), { view: 'group', group: '.follow', path: 'x' }, 'any name is a group name')
})

t.test('a process is dying in the kernel when in state D with SIGKILL pending', async t => {
  const status = (state: string, sigPnd: string, shdPnd = '0000000000000000') =>
    `Name:\tcat\nState:\t${state}\nSigPnd:\t${sigPnd}\nShdPnd:\t${shdPnd}\n`
  t.ok(isDyingInKernel(status('D (disk sleep)', '0000000000000100')))
  t.ok(isDyingInKernel(status('D (disk sleep)', '0000000000000000', '0000000000004100')))
  t.notOk(isDyingInKernel(status('S (sleeping)', '0000000000000100')), 'not blocked in the kernel')
  t.notOk(isDyingInKernel(status('D (disk sleep)', '0000000000000002')), 'SIGINT alone is not fatal yet')
})

t.test('blocked reads are released only when every reader at that file and position is dying', async t => {
  const reads = [
    { id: 1, path: '.follow/a', offset: 10 },
    { id: 2, path: '.follow/a', offset: 10 },
    { id: 3, path: '.follow/a', offset: 99 },
    { id: 4, path: '.live/b', offset: 0 }
  ]
  t.same(readsToRelease(reads, [{ path: '.follow/a', pos: 99 }]), [3], 'the position tells two readers of one file apart')
  t.same(readsToRelease(reads, [{ path: '.follow/a', pos: 10 }]), [], 'ambiguous: a live reader may be one of them')
  t.same(readsToRelease(reads, [{ path: '.follow/a', pos: 10 }, { path: '.follow/a', pos: 10 }]).sort(), [1, 2])
  t.same(readsToRelease(reads, [{ path: '.live/b', pos: 0 }, { path: '.other', pos: 0 }]), [4])
  t.same(readsToRelease([], [{ path: '.live/b', pos: 0 }]), [])
})

t.test('stream ids compare as numbers', async t => {
  t.ok(compareIds('9-0', '10-0') < 0)
  t.ok(compareIds('10-2', '10-10') < 0)
  t.equal(compareIds('5-5', '5-5'), 0)
  t.ok(compareIds('1700000000001-0', '1700000000000-99') > 0)
  t.equal(minId(['10-0', '9-5', '9-10']), '9-5')
  t.equal(minId([]), undefined)
})

t.test('reads whose thread is known are checked by that thread alone: a live or gone thread is not dying', async t => {
  t.same(await readsOfDyingThreads([{ id: 1, path: '.follow/a', offset: 0, tid: process.pid }, { id: 2, path: '.follow/a', offset: 0, tid: 2 ** 22 + 7 }]), [])
})
