import t from 'tap'
import { Followers } from '../../../src/mount/followers'
import type { FollowFile } from '../../../src/mount/handles'
import { FollowCursor } from '../../../src/topics/follow-cursor'
import { MemoryEngine } from '../../../src/topics/memory-engine'

// Waits are on promises; the timeout only bounds a test whose wait never ends.
t.setTimeout(30_000)

const line = (text: string) => ({ payload: Buffer.from(text), verbatim: false })

/** A topic with one message and a follower after it: its next read blocks. */
async function blockedFollower (): Promise<{ engine: MemoryEngine, uid: string, file: FollowFile }> {
  const engine = new MemoryEngine()
  const { uid } = await engine.create('t')
  await engine.append('t', uid, [line('old')])
  const { lastId } = (await engine.statTopic('t'))!
  return { engine, uid, file: { kind: 'follow', cursor: new FollowCursor(engine, 't', uid, lastId) } }
}

t.test('a read waits for the next message and is counted while it blocks', async t => {
  const { engine, uid, file } = await blockedFollower()
  const followers = new Followers()
  t.equal(followers.blocked, 0)
  const reading = followers.read('/.live/t', 0, undefined, signal => file.cursor.read(100, signal))
  t.equal(followers.blocked, 1)
  await engine.append('t', uid, [line('new')])
  t.equal((await reading).toString(), 'new\n')
  t.equal(followers.blocked, 0, 'no longer counted once answered')
})

t.test('release gives every blocked read end of file, and no read blocks again', async t => {
  const { engine, uid, file } = await blockedFollower()
  const followers = new Followers()
  const reads = [followers.read('/.live/t', 0, undefined, signal => file.cursor.read(100, signal)), followers.read('/.live/t', 0, undefined, signal => file.cursor.read(100, signal))]
  t.equal(followers.blocked, 2)
  const released = followers.release(() => 0)
  t.same((await Promise.all(reads)).map(chunk => chunk.length), [0, 0])
  await released
  t.equal(followers.blocked, 0)
  await engine.append('t', uid, [line('after')])
  t.equal((await followers.read('/.live/t', 0, undefined, signal => file.cursor.read(100, signal))).length, 0, 'even with a message there')
})

t.test('release waits until the followers closed their files', async t => {
  const followers = new Followers()
  let open = 2
  let done = false
  const released = followers.release(() => open).then(() => { done = true })
  open = 1
  await new Promise(resolve => setImmediate(resolve))
  t.notOk(done, 'not while files are open')
  open = 0
  await released
  t.ok(done)
})

t.test('release gives up after its grace period', async t => {
  const followers = new Followers()
  const started = Date.now()
  await followers.release(() => 1, 50)
  t.ok(Date.now() - started >= 50, 'waited out the grace')
})
