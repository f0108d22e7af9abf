import t from 'tap'
import { changeablePath, changedSinceLookup, isHiddenName, requireWritable, resolve } from '../../../src/mount/path-rules'

t.test('hidden names are the last component starting with .fuse_hidden', async t => {
  t.ok(isHiddenName('.fuse_hidden0000001a00000002'))
  t.ok(isHiddenName('team/a/.fuse_hidden1'))
  t.notOk(isHiddenName('.fuse_hidden1/topic'), 'only the last component counts')
  t.notOk(isHiddenName('fuse_hidden1'))
  t.notOk(isHiddenName('x.fuse_hidden'))
})

t.test('resolve gives the view and the topic path', async t => {
  t.same(resolve('/team/a'), { view: 'plain', path: 'team/a' })
  t.same(resolve('/'), { view: 'plain', path: '' })
  t.same(resolve('/.follow/team/a'), { view: 'follow', path: 'team/a' })
  t.same(resolve('/.live'), { view: 'live', path: '' })
})

t.test('resolve refuses names the binding could not decode, and names too long', async t => {
  t.throws(() => resolve('/bad\uFFFDname'), { code: 'EILSEQ' })
  t.throws(() => resolve('/.follow/bad\uFFFD'), { code: 'EILSEQ' })
  t.throws(() => resolve('/' + 'n'.repeat(256)), { code: 'ENAMETOOLONG' })
  t.throws(() => resolve('/d/' + 'é'.repeat(128)), { code: 'ENAMETOOLONG' }, 'bytes, not characters')
  t.throws(() => resolve('/.follow/' + 'n'.repeat(256)), { code: 'ENAMETOOLONG' }, 'in the views too')
  t.throws(() => resolve('/.group/' + 'g'.repeat(256) + '/t'), { code: 'ENAMETOOLONG' }, 'and in group names')
  t.same(resolve('/' + 'n'.repeat(255)), { view: 'plain', path: 'n'.repeat(255) })
  t.same(resolve('/' + 'é'.repeat(127)).path, 'é'.repeat(127), '254 bytes')
})

t.test('changes are refused in the views and on a read-only mount', async t => {
  t.equal(changeablePath('/team/a', false), 'team/a')
  t.throws(() => changeablePath('/.follow/a', false), { code: 'EROFS' })
  t.throws(() => changeablePath('/.live', false), { code: 'EROFS' })
  t.throws(() => changeablePath('/a', true), { code: 'EROFS' })
  t.throws(() => changeablePath('/x\uFFFD', false), { code: 'EILSEQ' }, 'the name is checked first')
  t.throws(() => requireWritable(true), { code: 'EROFS' })
  t.doesNotThrow(() => requireWritable(false))
})

t.test('a name gone since the kernel looked it up is ESTALE', async t => {
  const err = changedSinceLookup('team/a')
  t.equal(err.code, 'ESTALE')
  t.match(err.message, /team\/a/)
})
