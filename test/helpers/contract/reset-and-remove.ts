import { Test } from 'tap'
import { compareIds } from '../../../src/topics/stream-id'
import { lines, readAll } from '../topic-io'
import type { EngineBackend } from './backend'

/** Reset and remove: a reset keeps the topic, a removal ends it, and each incarnation has its own uid. */
export function resetAndRemove (t: Test, backend: EngineBackend): void {
  const { freshStore } = backend

  t.test('reset empties the topic; appends go on; ids keep growing; gen changes', async t => {
    const store = freshStore()
    const { uid, gen } = await store.create('r')
    await store.append('r', uid, lines('a', 'b'))
    const before = await store.statTopic('r')
    await store.reset('r')
    const after = await store.statTopic('r')
    t.same([after?.size, after?.entries, after?.uid], [0, 0, uid], 'empty, the same topic')
    t.not(after?.gen, gen)
    t.equal(await store.firstId('r'), undefined)
    t.equal((await readAll(store, 'r')).length, 0)
    await store.append('r', uid, lines('c'))
    t.equal((await readAll(store, 'r')).toString(), 'c\n')
    t.ok(compareIds((await store.firstId('r'))!, before!.lastId) > 0, 'new ids follow the old ones')
    await store.reset('r')
    t.not((await store.statTopic('r'))?.gen, after?.gen, 'every reset changes the generation')
    await t.rejects(store.reset('none'), { code: 'ENOENT' })
    await store.mkdir('dir')
    await t.rejects(store.reset('dir'), { code: 'ENOENT' }, 'a directory is not a topic')
  })

  t.test('a write through a handle of a removed topic is ESTALE, even once recreated', async t => {
    const store = freshStore()
    const { uid } = await store.create('gone')
    await store.remove('gone')
    await t.rejects(store.append('gone', uid, lines('x')), { message: /^ESTALE/ })
    await store.create('gone')
    await t.rejects(store.append('gone', uid, lines('x')), { message: /^ESTALE/ })
    t.equal((await store.statTopic('gone'))?.size, 0)
    await t.rejects(store.remove('never'), { code: 'ENOENT' })
  })

  t.test('every incarnation of a topic has its own uid', async t => {
    const store = freshStore()
    const first = await store.create('u')
    t.equal(await store.topicUid('u'), first.uid)
    await t.rejects(store.append('u', 'not-the-uid', lines('x')), { code: 'ESTALE' })
    await store.remove('u')
    t.equal(await store.topicUid('u'), undefined)
    t.equal(await store.statTopic('u'), undefined)
    t.equal(await store.stat('u'), undefined)
    const second = await store.create('u')
    t.not(second.uid, first.uid)
    t.equal(await store.topicUid('u'), second.uid)
    await store.mkdir('d')
    t.equal(await store.topicUid('d'), undefined, 'a directory has none')
    t.equal(await store.statTopic('d'), undefined)
  })
}
