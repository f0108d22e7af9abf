import { Test } from 'tap'
import type { EngineBackend } from './backend'

/** Names and kinds: what create and mkdir refuse, what stat tells apart, which names are valid or reserved. */
export function namesAndKinds (t: Test, backend: EngineBackend): void {
  const { freshStore } = backend

  t.test('create refuses an existing path; stat tells topics from directories', async t => {
    const store = freshStore()
    await store.create('a')
    await t.rejects(store.create('a'), { code: 'EEXIST' })
    await store.mkdir('d')
    await t.rejects(store.create('d'), { code: 'EEXIST' })
    await t.rejects(store.mkdir('a'), { code: 'EEXIST' })
    t.equal((await store.stat('d'))?.kind, 'directory')
    t.equal((await store.stat('a'))?.kind, 'topic')
    t.equal(await store.stat('nothing'), undefined)
    await t.rejects(store.create('missing/x'), { code: 'ENOENT' })
    await t.rejects(store.create('a/x'), { code: 'ENOTDIR' })
  })

  t.test('names: the root, empty and dot components, long names, reserved names', async t => {
    const store = freshStore()
    t.equal((await store.stat(''))?.kind, 'directory')
    await t.rejects(store.create(''), { code: 'EEXIST' })
    await t.rejects(store.mkdir(''), { code: 'EEXIST' })
    for (const bad of ['a//b', '/a', 'a/', '.', '..', 'x/../y']) await t.rejects(store.create(bad), { code: 'EINVAL' }, `"${bad}"`)
    await t.rejects(store.create('n'.repeat(256)), { code: 'ENAMETOOLONG' })
    await t.rejects(store.mkdir('é'.repeat(128)), { code: 'ENAMETOOLONG' }, 'names are measured in bytes')
    await store.create('n'.repeat(255))
    t.equal((await store.stat('n'.repeat(255)))?.kind, 'topic')
    t.equal(await store.stat('n'.repeat(300)), undefined, 'a lookup of a long name finds nothing')
    await t.rejects(store.create('.follow'), { code: 'EPERM' })
    await t.rejects(store.mkdir('.live'), { code: 'EPERM' })
    await store.mkdir('d')
    await store.create('d/.follow')
    t.same(await store.list('d'), [{ name: '.follow', kind: 'topic' }], 'reserved only at the root')
  })
}
