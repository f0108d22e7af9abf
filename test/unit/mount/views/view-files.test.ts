import t from 'tap'
import type { Caller } from '../../../../src/mount/caller'
import type { FollowFile } from '../../../../src/mount/handles'
import { Followers } from '../../../../src/mount/views/followers'
import { GroupFiles } from '../../../../src/mount/views/group-files'
import { delayedTarget, openView, readView, reopenFollower, ViewFile, ViewOptions } from '../../../../src/mount/views/view-files'
import { parseViewPath } from '../../../../src/mount/views/views'
import { FROM_FIRST } from '../../../../src/topics/readers/follow-cursor'
import { MemoryEngine } from '../../../../src/topics/memory/memory-engine'

// view-files.ts on the memory engine: opening, taking over and reading view files; .delay/ targets.
// Waits are on promises; the timeout only bounds a test whose wait never ends.
t.setTimeout(30_000)

const line = (text: string) => ({ payload: Buffer.from(text), verbatim: false })
const at = (fusePath: string) => parseViewPath(fusePath)

/** A topic `t` holding `messages`, and the id of each. */
async function topic (...messages: string[]): Promise<{ engine: MemoryEngine, uid: string, ids: string[] }> {
  const engine = new MemoryEngine()
  const { uid } = await engine.create('t')
  const ids: string[] = []
  for (const message of messages) {
    await engine.append('t', uid, [line(message)])
    ids.push((await engine.statTopic('t'))!.lastId)
  }
  return { engine, uid, ids }
}

/** A caller as the FUSE layer passes it; `signal` says when the kernel interrupted it. */
function caller (signal = new AbortController().signal): Caller {
  return { uid: 0, gid: 0, tid: process.pid, umask: 0, opcode: 15, signal }
}

function follow (file: ViewFile): FollowFile {
  if (file.kind !== 'follow') throw new Error(`a ${file.kind} file`)
  return file
}

t.test('the views are read-only, .group itself is a directory: refused before the topic is looked for', async t => {
  const engine = new MemoryEngine()
  await t.rejects(openView(engine, at('/.follow/none'), true, {}), { code: 'EROFS' })
  await t.rejects(openView(engine, at('/.live/none'), true, {}), { code: 'EROFS' })
  await t.rejects(openView(engine, at('/.group/g/none'), true, {}), { code: 'EROFS' })
  await t.rejects(openView(engine, at('/.group'), false, {}), { code: 'EISDIR' })
  await t.rejects(openView(engine, at('/.group'), true, {}), { code: 'EISDIR' }, 'EISDIR first, as for any directory')
})

t.test('no topic there (removed since the lookup, or a directory now) is ESTALE, for the kernel to look again', async t => {
  const engine = new MemoryEngine()
  await engine.mkdir('d')
  await t.rejects(openView(engine, at('/.follow/none'), false, {}), { code: 'ESTALE' })
  await t.rejects(openView(engine, at('/.live/d'), false, {}), { code: 'ESTALE' })
  await t.rejects(openView(engine, at('/.group/g/none'), false, {}), { code: 'ESTALE' })
})

t.test('.follow/ replays the topic from its first message, then waits for the next', async t => {
  const { engine, uid } = await topic('one', 'two')
  const followers = new Followers()
  const counted: number[] = []
  const file = follow(await openView(engine, at('/.follow/t'), false, { onMessages: (_direction, count) => counted.push(count) }))
  t.equal(file.cursor.path, 't')
  t.equal((await readView(file, followers, '/.follow/t', 4096, 0)).toString(), 'one\ntwo\n')
  t.equal(counted.reduce((sum, n) => sum + n, 0), 2, 'the messages read are counted')
  const next = readView(file, followers, '/.follow/t', 4096, 8)
  t.equal(followers.blocked, 1, 'the read waits')
  await engine.append('t', uid, [line('three')])
  t.equal((await next).toString(), 'three\n')
})

t.test('.live/ starts after the last message at the open', async t => {
  const { engine, uid } = await topic('old')
  const followers = new Followers()
  const file = follow(await openView(engine, at('/.live/t'), false, {}))
  const next = readView(file, followers, '/.live/t', 4096, 0)
  await engine.append('t', uid, [line('new')])
  t.equal((await next).toString(), 'new\n')
})

t.test('a read interrupted with nothing to deliver is EINTR: the caller\'s signal reaches it', async t => {
  const { engine } = await topic('old')
  const file = follow(await openView(engine, at('/.live/t'), false, {}))
  const interrupt = new AbortController()
  const reading = readView(file, new Followers(), '/.live/t', 4096, 0, caller(interrupt.signal))
  interrupt.abort()
  await t.rejects(reading, { code: 'EINTR' })
})

t.test('.group/G/ without consumer groups on the mount is ENOTSUP; with them, a reader of group G', async t => {
  const { engine } = await topic('job 1', 'job 2')
  await t.rejects(openView(engine, at('/.group/g/t'), false, {}), { code: 'ENOTSUP' })
  const groups = new GroupFiles(engine, { policy: { visibilityMs: 60_000, maxDeliveries: 5 }, consumer: 'mount-1' })
  t.teardown(() => groups.close())
  const options: ViewOptions = { groups }
  const file = await openView(engine, at('/.group/workers/t'), false, options)
  t.equal(file.kind, 'group')
  const followers = new Followers()
  t.equal((await readView(file, followers, '/.group/workers/t', 4096, 0, caller())).toString(), 'job 1\n', 'one message per read')
  t.equal((await readView(file, followers, '/.group/workers/t', 4096, 6, caller())).toString(), 'job 2\n')
  const info = (await engine.groups('t'))?.find(group => group.name === 'workers')
  t.equal(info?.pending, 1, 'reading on acknowledged the first; the second is this reader\'s')
  if (file.kind === 'group') await file.release()
})

t.test('a follower taken over from another server goes on where that one left it, in the page it was in', async t => {
  const { engine, uid, ids } = await topic('a', 'b', 'c')
  const followers = new Followers()
  // The other server handed out "a\n" and then the page after it, from offset 2.
  const state = { kind: 'follow' as const, path: 't', uid, afterId: FROM_FIRST, page: { position: 2, afterId: ids[0]! } }
  const file = reopenFollower(engine, state, {})
  t.ok(file.resumes)
  t.equal((await readView(file, followers, '/.follow/t', 4096, 3)).toString(), '\nc\n', 'one byte of that page had gone out already')
  t.notOk(file.resumes, 'resumed once')
  const next = readView(file, followers, '/.follow/t', 4096, 6)
  await engine.append('t', uid, [line('d')])
  t.equal((await next).toString(), 'd\n', 'and follows on')
})

t.test('a follower taken over while still in its replay goes on at the offset the kernel asks for', async t => {
  const { engine, uid } = await topic('a', 'b', 'c')
  const counted: number[] = []
  const file = reopenFollower(engine, { kind: 'follow', path: 't', uid, afterId: FROM_FIRST }, { onMessages: (_d, count) => counted.push(count) })
  t.equal((await readView(file, new Followers(), '/.follow/t', 4096, 4)).toString(), 'c\n')
  t.ok(counted.length > 0, 'what it reads is counted')
})

t.test('a .live/ follower taken over before it read anything still starts after the message it was opened after', async t => {
  const { engine, uid, ids } = await topic('a', 'b')
  const file = reopenFollower(engine, { kind: 'follow', path: 't', uid, afterId: ids[0]! }, {})
  t.equal((await readView(file, new Followers(), '/.live/t', 4096, 0)).toString(), 'b\n')
})

t.test('.delay/S/T opened for writing pushes to T, S seconds later', async t => {
  const { engine, uid } = await topic()
  await engine.mkdir('d')
  const { uid: inner } = await engine.create('d/q')
  t.same(await delayedTarget(engine, '/.delay/5/t', true, false), { path: 't', uid, delayMs: 5000 })
  t.same(await delayedTarget(engine, '/.delay/0/d/q', true, false), { path: 'd/q', uid: inner, delayMs: 0 })
})

t.test('.delay/: reading is EACCES, a read-only mount EROFS, no topic ESTALE, .delay/S itself EISDIR, a bad delay EINVAL', async t => {
  const { engine } = await topic()
  await t.rejects(delayedTarget(engine, '/.delay/5/t', false, false), { code: 'EACCES' })
  await t.rejects(delayedTarget(engine, '/.delay/5/t', false, true), { code: 'EACCES' }, 'EACCES before EROFS: it is never readable')
  await t.rejects(delayedTarget(engine, '/.delay/5/t', true, true), { code: 'EROFS' })
  await t.rejects(delayedTarget(engine, '/.delay/5/none', true, false), { code: 'ESTALE' })
  await t.rejects(delayedTarget(engine, '/.delay/5', true, false), { code: 'EISDIR' })
  await t.rejects(delayedTarget(engine, '/.delay/soon/t', true, false), { code: 'EINVAL' })
})
