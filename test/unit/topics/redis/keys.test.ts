import t from 'tap'
import { KeyLayout } from '../../../../src/topics/redis/keys'
import { fromFusePath, splitPath, validateNewPath } from '../../../../src/topics/paths'
import { keySlot } from '../../../../src/topics/redis/key-slot'

t.test('a topic\'s keys share its path as hash tag', async t => {
  const keys = new KeyLayout().topic('team-a/orders')
  t.same(keys, {
    stream: 'dnpipes:{team-a/orders}',
    meta: 'dnpipes:{team-a/orders}:meta',
    index: 'dnpipes:{team-a/orders}:idx',
    delayed: 'dnpipes:{team-a/orders}:delayed',
    due: 'dnpipes:{team-a/orders}:due',
    writes: 'dnpipes:{team-a/orders}:writes'
  })
  for (const key of [keys.meta, keys.index, keys.delayed, keys.due, keys.writes]) t.equal(keySlot(key), keySlot(keys.stream), key)
})

t.test('braces and percent signs in a name keep the tag whole and distinct', async t => {
  const layout = new KeyLayout('p:')
  const odd = layout.topic('a}b{c%')
  t.equal(odd.stream, 'p:{a%7Db%7Bc%25}')
  t.equal(keySlot(odd.stream), keySlot(odd.meta))
  t.equal(keySlot(odd.stream), keySlot(odd.index))
  t.not(layout.topic('a%7D').stream, layout.topic('a}').stream)
})

t.test('directories have their own keys; the root is {/}', async t => {
  const layout = new KeyLayout()
  t.equal(layout.directory(''), 'dnpipes:{/}:dir')
  t.equal(layout.directory('team'), 'dnpipes:{team}:dir')
  t.not(layout.directory('team'), layout.topic('team').meta)
})

t.test('paths', async t => {
  t.same(splitPath('a/b/c'), { parent: 'a/b', name: 'c' })
  t.same(splitPath('c'), { parent: '', name: 'c' })
  t.equal(fromFusePath('/a/b'), 'a/b')
  t.equal(fromFusePath('/'), '')
  t.throws(() => validateNewPath('x'.repeat(256)), { code: 'ENAMETOOLONG' })
  t.doesNotThrow(() => validateNewPath('x'.repeat(255)))
  t.throws(() => validateNewPath('.follow'), { code: 'EPERM' })
  t.throws(() => validateNewPath('.live'), { code: 'EPERM' })
  t.doesNotThrow(() => validateNewPath('team/.follow'))
  t.throws(() => validateNewPath('a/../b'), { code: 'EINVAL' })
})
