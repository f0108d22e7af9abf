import { Test } from 'tap'
import type { DirectoryStat } from '../../../src/topics/types'
import { lines } from '../topic-io'
import type { EngineBackend } from './backend'

/** Ownership and modes: stored at creation, changed by changeOwnership, kept or not through resets, removals and renames. */
export function ownershipAndModes (t: Test, backend: EngineBackend): void {
  const { freshStore, features } = backend

  t.test('ownership: stored at creation, changed by changeOwnership, absent for entries made without', async t => {
    const store = freshStore()
    const made = await store.create('t', { owner: 1000, group: 100, mode: 0o100640 })
    t.match(made, { owner: 1000, group: 100, mode: 0o640 }, 'the mode keeps its permission bits only')
    await store.mkdir('d', { owner: 1001, group: 101, mode: 0o41777 })
    t.match(await store.stat('d'), { kind: 'directory', owner: 1001, group: 101, mode: 0o1777 })
    await store.create('plain')
    await store.mkdir('plaindir')
    const plain = await store.statTopic('plain')
    t.same([plain?.owner, plain?.group, plain?.mode], [undefined, undefined, undefined], 'a topic made without an owner has none')
    const plainDir = await store.stat('plaindir') as DirectoryStat
    t.same([plainDir.owner, plainDir.group, plainDir.mode], [undefined, undefined, undefined], 'nor a directory')
    const root = await store.stat('') as DirectoryStat
    t.same([root.kind, root.owner, root.mode], ['directory', undefined, undefined], 'nor the root, until changed')

    await store.changeOwnership('t', { mode: 0o604 })
    await store.changeOwnership('t', { owner: 5 })
    t.match(await store.statTopic('t'), { owner: 5, group: 100, mode: 0o604 }, 'only what is given changes')
    await store.changeOwnership('plaindir', { owner: 7, group: 8, mode: 0o750 })
    t.match(await store.stat('plaindir'), { kind: 'directory', owner: 7, group: 8, mode: 0o750 })
    await store.changeOwnership('', { mode: 0o1777, owner: 0, group: 0 })
    t.match(await store.stat(''), { kind: 'directory', owner: 0, group: 0, mode: 0o1777 }, 'the root keeps its own')
    await t.rejects(store.changeOwnership('none', { mode: 0o600 }), { code: 'ENOENT' })
    await t.rejects(store.changeOwnership('d/none', { owner: 1 }), { code: 'ENOENT' })

    const { uid } = await store.create('d/x', { owner: 1, group: 2, mode: 0o600 })
    await store.append('d/x', uid, lines('kept'))
    await store.reset('d/x')
    t.match(await store.statTopic('d/x'), { owner: 1, group: 2, mode: 0o600 }, 'a reset keeps the owner')
    await store.remove('d/x')
    await store.create('d/x')
    t.equal((await store.statTopic('d/x'))?.owner, undefined, 'a topic made again does not inherit the old one\'s owner')
    await store.remove('d/x')
    await store.rmdir('d')
    await store.mkdir('d')
    t.equal((await store.stat('d') as DirectoryStat).owner, undefined, 'nor a directory made again')
    if (features.renamesTopics) {
      await store.rename('t', 'plaindir/t')
      t.match(await store.statTopic('plaindir/t'), { owner: 5, group: 100, mode: 0o604 }, 'a renamed topic keeps its owner')
    }
  })
}
