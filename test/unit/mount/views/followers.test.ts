import t from 'tap'
import { Followers } from '../../../../src/mount/views/followers'
import type { Caller } from '../../../../src/mount/caller'
import type { FollowFile } from '../../../../src/mount/handles'
import { TopicError } from '../../../../src/topics/errors'
import { FollowCursor } from '../../../../src/topics/readers/follow-cursor'
import { MemoryEngine } from '../../../../src/topics/memory/memory-engine'

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
  const reading = followers.read('/.live/t', undefined, signal => file.cursor.read(100, signal))
  t.equal(followers.blocked, 1)
  await engine.append('t', uid, [line('new')])
  t.equal((await reading).toString(), 'new\n')
  t.equal(followers.blocked, 0, 'no longer counted once answered')
})

t.test('release gives every blocked read end of file, and no read blocks again', async t => {
  const { engine, uid, file } = await blockedFollower()
  const followers = new Followers()
  const reads = [followers.read('/.live/t', undefined, signal => file.cursor.read(100, signal)), followers.read('/.live/t', undefined, signal => file.cursor.read(100, signal))]
  t.equal(followers.blocked, 2)
  const released = followers.release(() => 0)
  t.same((await Promise.all(reads)).map(chunk => chunk.length), [0, 0])
  await released
  t.equal(followers.blocked, 0)
  await engine.append('t', uid, [line('after')])
  t.equal((await followers.read('/.live/t', undefined, signal => file.cursor.read(100, signal))).length, 0, 'even with a message there')
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

/** A caller whose request the kernel may interrupt. */
function interruptible (): { caller: Caller, interrupt: () => void } {
  const controller = new AbortController()
  return { caller: { uid: 0, gid: 0, tid: 1, umask: 0, opcode: 15, signal: controller.signal }, interrupt: () => controller.abort() }
}

t.test('an interrupted read with nothing to deliver answers EINTR; other reads go on', async t => {
  const { engine, uid, file } = await blockedFollower()
  const followers = new Followers()
  const { caller, interrupt } = interruptible()
  const interrupted = followers.read('/.live/t', caller, signal => file.cursor.read(100, signal))
  const { lastId } = (await engine.statTopic('t'))!
  const otherCursor = new FollowCursor(engine, 't', uid, lastId)
  const other = followers.read('/.live/t', interruptible().caller, signal => otherCursor.read(100, signal))
  t.equal(followers.blocked, 2)
  interrupt()
  await t.rejects(interrupted, new TopicError('EINTR', 'the read of /.live/t was interrupted'))
  t.equal(followers.blocked, 1, 'the other read still waits')
  await engine.append('t', uid, [line('new')])
  t.equal((await other).toString(), 'new\n')
  const again = interruptible()
  again.interrupt()
  await t.rejects(followers.read('/.live/t', again.caller, signal => file.cursor.read(100, signal)), { code: 'EINTR' }, 'interrupted before it began')
})

t.test('a read interrupted after it took a message delivers the message', async t => {
  const followers = new Followers()
  const { caller, interrupt } = interruptible()
  const data = await followers.read('/.live/t', caller, async () => {
    interrupt()
    return Buffer.from('taken\n')
  })
  t.equal(data.toString(), 'taken\n')
})
