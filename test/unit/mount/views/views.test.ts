import t from 'tap'
import { parseViewPath } from '../../../../src/mount/views/views'
import { compareIds, minId } from '../../../../src/topics/stream-id'

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

t.test('stream ids compare as numbers', async t => {
  t.ok(compareIds('9-0', '10-0') < 0)
  t.ok(compareIds('10-2', '10-10') < 0)
  t.equal(compareIds('5-5', '5-5'), 0)
  t.ok(compareIds('1700000000001-0', '1700000000000-99') > 0)
  t.equal(minId(['10-0', '9-5', '9-10']), '9-5')
  t.equal(minId([]), undefined)
})
