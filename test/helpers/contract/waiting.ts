import { Test } from 'tap'
import type { TopicEngine } from '../../../src/topics/engine'
import type { Woken } from '../../../src/topics/types'
import { lines } from '../topic-io'
import type { EngineBackend } from './backend'

/**
 * A wait ended by new entries: 'data', or the entries themselves as a page, which must be the
 * start of what readAfter gives from the same position.
 */
async function checkWokenByData (t: Test, store: TopicEngine, woken: Woken, path: string, afterId: string, uid: string, message: string): Promise<void> {
  if (typeof woken !== 'object') {
    t.equal(woken, 'data', message)
    return
  }
  const read = (await store.readAfter(path, afterId, 1 << 20))!
  t.equal(woken.uid, uid, `${message}: the page is the topic's`)
  t.ok(woken.count > 0 && woken.count <= read.count, `${message}: ${woken.count} entries`)
  t.same(woken.data, read.data.subarray(0, woken.data.length), `${message}: what a read after the id gives`)
  if (woken.count === read.count) t.equal(woken.lastId, read.lastId, `${message}: up to the same last id`)
}

/** Waiting: what ends a waitForEntries — new entries, the topic gone or renamed away, an abort or close(). */
export function waiting (t: Test, backend: EngineBackend): void {
  const { freshStore, features } = backend

  t.test('waitForEntries: data when an entry is appended after the id', async t => {
    const store = freshStore()
    const { uid, lastId } = await store.create('w')
    const signal = new AbortController().signal
    const waiting = store.waitForEntries('w', lastId, uid, signal)
    await store.append('w', uid, lines('wake'))
    await checkWokenByData(t, store, await waiting, 'w', lastId, uid, 'woken by an append')
    const newest = (await store.statTopic('w'))!.lastId
    await checkWokenByData(t, store, await store.waitForEntries('w', lastId, uid, signal), 'w', lastId, uid, 'at once when there already is one')
    const later = store.waitForEntries('w', newest, uid, signal)
    await store.append('w', uid, lines('again', 'and again'))
    await checkWokenByData(t, store, await later, 'w', newest, uid, 'woken by a later append')
  })

  t.test('waitForEntries: gone when the topic is removed, or replaced', async t => {
    const store = freshStore()
    const { uid, lastId } = await store.create('w')
    const signal = new AbortController().signal
    const removed = store.waitForEntries('w', lastId, uid, signal)
    await store.remove('w')
    await store.create('w')
    // All at once: an engine may notice removals only now and then.
    const replaced = store.waitForEntries('w', lastId, uid, signal)
    const none = store.waitForEntries('none', lastId, uid, signal)
    t.equal(await removed, 'gone', 'removed while waited on')
    t.equal(await replaced, 'gone', 'another topic at the same name')
    t.equal(await none, 'gone', 'no topic at all')
  })

  t.test('waitForEntries: gone when the topic is renamed away', async t => {
    if (!features.renamesTopics) return
    const store = freshStore()
    const { uid, lastId } = await store.create('w')
    const waiting = store.waitForEntries('w', lastId, uid, new AbortController().signal)
    await store.rename('w', 'elsewhere')
    t.equal(await waiting, 'gone')
    t.equal(await store.locate('w', uid), 'elsewhere')
  })

  t.test('waitForEntries: aborted by the signal, and by close()', async t => {
    const store = freshStore()
    const { uid, lastId } = await store.create('w')
    const controller = new AbortController()
    const waiting = store.waitForEntries('w', lastId, uid, controller.signal)
    controller.abort()
    t.equal(await waiting, 'aborted')
    t.equal(await store.waitForEntries('w', lastId, uid, controller.signal), 'aborted', 'an aborted signal does not wait')
    const never = new AbortController().signal
    const both = [store.waitForEntries('w', lastId, uid, never), store.waitForEntries('w', lastId, uid, never)]
    store.close()
    t.same(await Promise.all(both), ['aborted', 'aborted'])
  })
}
