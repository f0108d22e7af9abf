import t from 'tap'
import { getXattr, isDnpipesXattr, listXattrs, refuseXattrChange, XATTR_PREFIX } from '../../../src/mount/xattrs'
import { MemoryEngine } from '../../../src/topics/memory/memory-engine'
import { spyEngine } from '../../helpers/engine-spy'

const NAMES = ['key', 'entries', 'first-id', 'last-id'].map(name => XATTR_PREFIX + name)
const line = (text: string) => ({ payload: Buffer.from(text), verbatim: false })

t.test('only user.dnpipes.key, entries, first-id and last-id are dnpipes attributes', async t => {
  for (const name of NAMES) t.ok(isDnpipesXattr(name), name)
  for (const name of ['user.dnpipes.', 'user.dnpipes.other', 'user.dnpipes', 'security.capability', 'system.posix_acl_access', 'user.key']) {
    t.notOk(isDnpipesXattr(name), name)
  }
})

t.test('a topic lists them; a directory lists none; nothing there is ENOENT', async t => {
  const engine = new MemoryEngine()
  await engine.create('t')
  await engine.mkdir('d')
  t.same(await listXattrs(engine, 't'), NAMES)
  t.same(await listXattrs(engine, 'd'), [])
  t.same(await listXattrs(engine, ''), [])
  await t.rejects(listXattrs(engine, 'none'), { code: 'ENOENT' })
})

t.test('the values: the key, the message count, the first and last ids', async t => {
  const engine = new MemoryEngine()
  const { uid } = await engine.create('t')
  const value = async (name: string): Promise<string | undefined> => (await getXattr(engine, 't', XATTR_PREFIX + name))?.toString()
  t.equal(await value('key'), engine.keyOf('t'))
  t.equal(await value('entries'), '0')
  t.equal(await value('first-id'), '', 'an empty topic has no first id')
  t.equal(await value('last-id'), '', 'nor a last one (not 0-0)')
  await engine.append('t', uid, [line('one'), line('two')])
  const first = await engine.firstId('t')
  const last = (await engine.statTopic('t'))?.lastId
  t.equal(await value('entries'), '2')
  t.equal(await value('first-id'), first)
  t.equal(await value('last-id'), last)
  t.not(first, last)
  await engine.reset('t')
  t.same([await value('entries'), await value('first-id'), await value('last-id')], ['0', '', ''], 'after a reset')
})

t.test('a directory has no values; nothing there is ENOENT', async t => {
  const engine = new MemoryEngine()
  await engine.mkdir('d')
  t.equal(await getXattr(engine, 'd', XATTR_PREFIX + 'key'), undefined)
  await t.rejects(getXattr(engine, 'none', XATTR_PREFIX + 'entries'), { code: 'ENOENT' })
})

t.test('any other name is undefined without asking the engine', async t => {
  const spy = spyEngine()
  for (const name of ['security.capability', 'system.posix_acl_access', 'user.dnpipes.other', 'user.mime_type']) {
    t.equal(await getXattr(spy.engine, 'whatever', name), undefined, name)
  }
  t.same(spy.calls, [])
})

t.test('changes are refused with ENOTSUP', async t => {
  t.throws(() => refuseXattrChange(XATTR_PREFIX + 'key'), { code: 'ENOTSUP', message: /read-only/ })
  t.throws(() => refuseXattrChange('user.comment'), { code: 'ENOTSUP', message: /no extended attributes/ })
})
