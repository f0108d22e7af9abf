import t from 'tap'
import { render } from '../../../../../src/framing/entry'
import { entriesByStream, pageAfter, StreamEntries } from '../../../../../src/topics/redis/follow/woken-pages'

const b = (text: string): Buffer => Buffer.from(text)
const entries: StreamEntries = [
  ['5-0', [b('data'), b('one')]],
  ['5-1', [b('data'), b('two'), b('raw'), b('1')]],
  ['12-0', [b('k'), b('v'), b('n'), b('2')]]
]

t.test('a page holds the entries after the position, rendered as a read renders them', async t => {
  const page = pageAfter(entries, '5-0', 'u1')!
  t.equal(page.uid, 'u1')
  t.equal(page.lastId, '12-0')
  t.equal(page.count, 2)
  t.same(page.data, Buffer.concat([render(entries[1]![1]), render(entries[2]![1])]))
  t.equal(page.data.toString(), 'twok=v n=2\n')
})

t.test('ids compare as numbers, not as text', async t => {
  t.equal(pageAfter(entries, '9-0', 'u')!.data.toString(), 'k=v n=2\n', '12-0 is after 9-0')
  t.equal(pageAfter(entries, '0-0', 'u')!.count, 3)
})

t.test('nothing after the position: no page', async t => {
  t.equal(pageAfter(entries, '12-0', 'u'), undefined)
  t.equal(pageAfter(entries, '13-5', 'u'), undefined)
  t.equal(pageAfter([], '0-0', 'u'), undefined)
})

t.test('an XREAD reply read as buffers, by stream', async t => {
  const byStream = entriesByStream([
    [b('s1'), [[b('1-0'), [b('data'), b('x')]]]],
    [b('s2'), []]
  ])
  t.same([...byStream.keys()], ['s1', 's2'])
  t.same(byStream.get('s1'), [['1-0', [b('data'), b('x')]]])
  t.equal(entriesByStream(null).size, 0, 'a block that ended with nothing')
})
