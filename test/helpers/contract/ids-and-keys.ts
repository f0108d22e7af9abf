import { Test } from 'tap'
import { FROM_FIRST } from '../../../src/topics/readers/follow-cursor'
import { compareIds } from '../../../src/topics/stream-id'
import { lines } from '../topic-io'
import type { EngineBackend } from './backend'

/** Ids and keys: ids that grow as stream ids do, firstId, and the key of each path. */
export function idsAndKeys (t: Test, backend: EngineBackend): void {
  const { freshStore } = backend

  t.test('ids look like stream ids and grow strictly, within an append and across appends', async t => {
    const store = freshStore()
    const { uid } = await store.create('ids')
    await store.append('ids', uid, lines(...Array.from({ length: 200 }, (_, i) => `${i}`)))
    for (let i = 0; i < 20; i++) await store.append('ids', uid, lines(`single ${i}`))
    const ids: string[] = []
    for (let after = FROM_FIRST; ;) {
      const page = await store.readAfter('ids', after, 1)
      if (!page || page.count === 0) break
      ids.push(page.lastId)
      after = page.lastId
    }
    t.equal(ids.length, 220)
    t.ok(ids.every(id => /^\d+-\d+$/.test(id)), 'every id is <ms>-<seq>')
    t.ok(ids.every((id, i) => i === 0 || compareIds(ids[i - 1]!, id) < 0), 'strictly increasing')
    t.equal(await store.firstId('ids'), ids[0])
    t.equal((await store.statTopic('ids'))?.lastId, ids[ids.length - 1])
    const mtime = (await store.statTopic('ids'))!.mtimeMs
    t.equal(mtime, Number(ids[ids.length - 1]!.split('-')[0]), 'mtime is the time of the newest message')
  })

  t.test('firstId and keyOf', async t => {
    const store = freshStore()
    const { uid } = await store.create('k')
    t.equal(await store.firstId('k'), undefined)
    t.equal(await store.firstId('none'), undefined)
    await store.append('k', uid, lines('1', '2'))
    const first = await store.readAfter('k', FROM_FIRST, 1)
    t.equal(await store.firstId('k'), first?.lastId)
    t.ok(store.keyOf('k').length > 0)
    t.not(store.keyOf('k'), store.keyOf('team/k'), 'one name per path')
    t.equal(store.keyOf('k'), store.keyOf('k'))
  })
}
