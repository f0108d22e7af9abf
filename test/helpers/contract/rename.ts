import { Test } from 'tap'
import { lines, readAll } from '../topic-io'
import type { EngineBackend } from './backend'

/** Rename: a topic moves with its messages and identity, rename(2)'s refusals, and locate after renames. */
export function rename (t: Test, backend: EngineBackend): void {
  const { freshStore, features } = backend

  t.test('rename moves a topic with its messages and identity, replacing a topic at the target', async t => {
    const store = freshStore()
    const { uid, gen } = await store.create('from')
    await store.append('from', uid, lines('kept'))
    await store.create('to')
    await store.mkdir('dir')
    if (!features.renamesTopics) {
      await t.rejects(store.rename('from', 'to'), { code: 'EXDEV' })
      t.equal((await readAll(store, 'from')).toString(), 'kept\n', 'untouched')
      return
    }
    await store.rename('from', 'to')
    t.equal(await store.stat('from'), undefined)
    const moved = await store.statTopic('to')
    t.same([moved?.uid, moved?.gen, moved?.entries], [uid, gen, 1], 'the same topic under its new name')
    t.equal((await readAll(store, 'to')).toString(), 'kept\n')
    t.same((await store.list('')).map(e => e.name), ['dir', 'to'])
    await store.append('to', uid, lines('same identity'))
    await store.rename('to', 'dir/moved')
    t.same(await store.list('dir'), [{ name: 'moved', kind: 'topic' }])
    t.equal((await readAll(store, 'dir/moved')).toString(), 'kept\nsame identity\n')
    await store.rename('dir/moved', 'dir/moved')
    t.equal((await store.statTopic('dir/moved'))?.uid, uid, 'a rename onto itself changes nothing')
  })

  t.test('rename refuses what rename(2) refuses, and moves no directory', async t => {
    const store = freshStore()
    await store.create('t')
    await store.create('t2')
    await store.mkdir('dir')
    await store.mkdir('full')
    await store.create('full/x')
    await t.rejects(store.rename('missing', 'x'), { code: 'ENOENT' })
    await t.rejects(store.rename('t', 'dir'), { code: 'EISDIR' })
    await t.rejects(store.rename('dir', 't2'), { code: 'ENOTDIR' })
    await t.rejects(store.rename('dir', 'full'), { code: 'ENOTEMPTY' })
    await t.rejects(store.rename('dir', 'elsewhere'), { code: 'EXDEV' })
    await t.rejects(store.rename('t', '.follow'), { code: 'EPERM' })
    await t.rejects(store.rename('t', 'a//b'), { code: 'EINVAL' })
    await t.rejects(store.rename('t', 'n'.repeat(256)), { code: 'ENAMETOOLONG' })
    if (features.renamesTopics) {
      await t.rejects(store.rename('t', 'nowhere/t'), { code: 'ENOENT' })
      await t.rejects(store.rename('t', 't2/t'), { code: 'ENOTDIR' })
    }
    t.same((await store.list('')).map(e => e.name), ['dir', 'full', 't', 't2'], 'nothing moved')
    t.same((await store.list('full')).map(e => e.name), ['x'])
  })

  t.test('locate follows renames, and finds nothing once the topic is gone', async t => {
    const store = freshStore()
    const { uid } = await store.create('a')
    t.equal(await store.locate('a', uid), 'a')
    t.equal(await store.locate('a', 'other'), undefined)
    if (!features.renamesTopics) return
    await store.mkdir('d')
    await store.rename('a', 'b')
    await store.rename('b', 'd/c')
    t.equal(await store.locate('a', uid), 'd/c', 'through two renames')
    t.equal(await store.locate('b', uid), 'd/c')
    t.equal(await store.locate('d/c', uid), 'd/c')
    const other = await store.create('a')
    t.equal(await store.locate('a', other.uid), 'a', 'the new topic at the old name is another')
    t.equal(await store.locate('a', uid), 'd/c')
    const { uid: replaced } = await store.create('victim')
    await store.rename('a', 'victim')
    t.equal(await store.locate('victim', replaced), undefined, 'a topic replaced by a rename is gone')
    await store.remove('d/c')
    t.equal(await store.locate('a', uid), undefined, 'a removed topic is nowhere')
  })
}
