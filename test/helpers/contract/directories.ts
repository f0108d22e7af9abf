import { Test } from 'tap'
import type { EngineBackend } from './backend'

/** Directories: mkdir, list and rmdir, and the errors of lookups and removals. */
export function directories (t: Test, backend: EngineBackend): void {
  const { freshStore } = backend

  t.test('directories: mkdir, list, rmdir', async t => {
    const store = freshStore()
    await store.mkdir('team')
    await store.mkdir('team/a')
    await store.create('team/a/orders')
    t.same(await store.list(''), [{ name: 'team', kind: 'directory' }])
    t.same(await store.list('team/a'), [{ name: 'orders', kind: 'topic' }])
    await t.rejects(store.rmdir('team/a'), { code: 'ENOTEMPTY' })
    await t.rejects(store.rmdir('team/a/orders'), { code: 'ENOTDIR' })
    await t.rejects(store.rmdir(''), { code: 'EPERM' })
    await t.rejects(store.list('nope'), { code: 'ENOENT' })
    await store.remove('team/a/orders')
    await store.rmdir('team/a')
    t.same(await store.list('team'), [])
  })

  t.test('directories: lookups and removals answer ENOENT, ENOTDIR and EISDIR', async t => {
    const store = freshStore()
    await store.mkdir('d')
    await store.create('d/t')
    await store.create('b')
    await store.create('a')
    await store.requireDirectory('')
    await store.requireDirectory('d')
    await t.rejects(store.requireDirectory('d/t'), { code: 'ENOTDIR' })
    await t.rejects(store.requireDirectory('nope'), { code: 'ENOENT' })
    await t.rejects(store.requireDirectory('nope/deeper'), { code: 'ENOENT' })
    await t.rejects(store.list('d/t'), { code: 'ENOTDIR' })
    await t.rejects(store.mkdir('d/t/x'), { code: 'ENOTDIR' })
    await t.rejects(store.mkdir('nope/x'), { code: 'ENOENT' })
    await t.rejects(store.rmdir('nope'), { code: 'ENOENT' })
    await t.rejects(store.rmdir('b'), { code: 'ENOTDIR' })
    t.same(await store.list(''), [{ name: 'a', kind: 'topic' }, { name: 'b', kind: 'topic' }, { name: 'd', kind: 'directory' }], 'sorted by name')
    await t.rejects(store.remove('d'), { code: 'EISDIR' }, 'remove deletes topics only')
    t.same(await store.list('d'), [{ name: 't', kind: 'topic' }], 'the directory and its children stay')
    await t.rejects(store.remove('d/none'), { code: 'ENOENT' })
  })
}
