import { Test } from 'tap'
import { FollowCursor, FROM_FIRST } from '../../../src/topics/readers/follow-cursor'
import { lines } from '../topic-io'
import type { EngineBackend } from './backend'

/** Following: a follower through new messages, a reset, a removal and a rename. */
export function following (t: Test, backend: EngineBackend): void {
  const { freshStore, features } = backend

  t.test('a follower replays, gets new messages, goes on after a reset and ends at the removal', async t => {
    const store = freshStore()
    const { uid } = await store.create('fl')
    await store.append('fl', uid, lines('old 1', 'old 2'))
    const signal = new AbortController().signal
    const follower = new FollowCursor(store, 'fl', uid, FROM_FIRST)
    t.equal((await follower.read(1000, signal)).toString(), 'old 1\nold 2\n')
    const next = follower.read(1000, signal)
    await store.append('fl', uid, lines('new'))
    t.equal((await next).toString(), 'new\n')
    await store.reset('fl')
    await store.append('fl', uid, lines('after reset'))
    t.equal((await follower.read(1000, signal)).toString(), 'after reset\n')
    const last = follower.read(1000, signal)
    await store.remove('fl')
    t.equal((await last).length, 0, 'end of file')
  })

  t.test('a follower follows its topic through a rename', async t => {
    if (!features.renamesTopics) return
    const store = freshStore()
    const { uid, lastId } = await store.create('old')
    const follower = new FollowCursor(store, 'old', uid, lastId)
    const signal = new AbortController().signal
    const next = follower.read(1000, signal)
    await store.rename('old', 'new')
    await store.append('new', uid, lines('moved'))
    t.equal((await next).toString(), 'moved\n')
    t.equal(follower.path, 'new')
  })
}
