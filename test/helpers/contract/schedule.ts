import { Test } from 'tap'
import type { TopicEngine } from '../../../src/topics/engine'
import { FollowCursor } from '../../../src/topics/readers/follow-cursor'
import { GroupReader } from '../../../src/topics/readers/group-reader'
import type { GroupPolicy } from '../../../src/topics/types'
import { sleep } from '../../../src/util/deadline'
import type { EngineBackend } from './backend'

/**
 * Scheduling, the delayed-delivery concern of the engine contract (engine-contract.ts runs it on every engine):
 * a scheduled message is in no read, follow, group or size until it is due, then enters in
 * due order, and waiting readers get it at its due time without anybody else looking.
 */

const line = (text: string) => ({ payload: Buffer.from(text), verbatim: false })
const POLICY: GroupPolicy = { visibilityMs: 60_000, maxDeliveries: 5 }
/** How late a waiting reader may get a due message here, on a shared and busy machine: a bound that catches a reader woken by a poll or a timeout instead. */
const LATE_BOUND_MS = 1500

async function replay (engine: TopicEngine, path: string): Promise<string> {
  const page = await engine.read(path, { gen: '', offset: 0, afterId: '', afterPos: 0, maxBytes: 1 << 20 })
  return page?.data.toString() ?? ''
}

export function scheduling (t: Test, backend: EngineBackend): void {
  const { freshStore, features } = backend
  const fresh = async (): Promise<{ engine: TopicEngine, uid: string }> => {
    const engine = freshStore()
    const { uid } = await engine.create('jobs')
    return { engine, uid }
  }

  t.test('schedule: invisible until due, then in due order; stat counts what waits', async t => {
    const { engine, uid } = await fresh()
    await engine.append('jobs', uid, [line('now')])
    await engine.append('jobs', uid, [line('late-a'), line('late-b')], 600)
    await engine.append('jobs', uid, [line('soon')], 300)
    t.equal(await replay(engine, 'jobs'), 'now\n', 'not read')
    t.match(await engine.statTopic('jobs'), { size: 4, entries: 1, scheduled: 3 }, 'not in the size; counted as scheduled')
    t.equal((await engine.readAfter('jobs', '0-0', 1000))?.count, 1, 'not followed')
    const claimed = await engine.claim('jobs', 'g', 'c', POLICY)
    t.match(claimed, { kind: 'message' })
    t.match(await engine.claim('jobs', 'g', 'c', POLICY), { kind: 'none' }, 'not handed to a group')
    await sleep(350)
    t.equal(await replay(engine, 'jobs'), 'now\nsoon\n', 'the earlier due first, though pushed later')
    await sleep(300)
    t.equal(await replay(engine, 'jobs'), 'now\nsoon\nlate-a\nlate-b\n', 'then the later, in the order pushed')
    t.match(await engine.statTopic('jobs'), { entries: 4, scheduled: 0 })
  })

  t.test('schedule: a follower and a group reader waiting get a message at its due time, scheduled after they began to wait', async t => {
    const { engine, uid } = await fresh()
    const follower = new FollowCursor(engine, 'jobs', uid, (await engine.statTopic('jobs'))!.lastId)
    const reader = new GroupReader(engine, 'jobs', uid, 'g', 'c', POLICY)
    const signal = new AbortController().signal
    const followed = follower.read(1000, signal).then(data => ({ data: data.toString(), at: Date.now() }))
    const claimed = reader.next(signal).then(delivery => ({ data: delivery?.data.toString(), at: Date.now() }))
    await sleep(100)
    const pushedAt = Date.now()
    await engine.append('jobs', uid, [line('job')], 400)
    for (const [who, got] of [['follower', await followed], ['group reader', await claimed]] as const) {
      t.equal(got.data, 'job\n', who)
      const after = got.at - pushedAt
      t.ok(after >= 380 && after < 400 + LATE_BOUND_MS, `${who}: got it ${after} ms after it was pushed with a delay of 400 ms`)
    }
  })

  t.test('schedule: the topic\'s own delay, set and lifted; reset drops what waits, remove too', async t => {
    const { engine, uid } = await fresh()
    await engine.setDelay('jobs', 60_000)
    t.match(await engine.statTopic('jobs'), { delayMs: 60_000 })
    await engine.append('jobs', uid, [line('waits')])
    t.match(await engine.statTopic('jobs'), { entries: 0, scheduled: 1 })
    await engine.append('jobs', uid, [line('now')], 0)
    t.equal(await replay(engine, 'jobs'), 'now\n', 'a delay of 0 given with the push enters at once')
    await engine.setDelay('jobs', null)
    t.notOk((await engine.statTopic('jobs'))!.delayMs, 'lifted')
    await engine.append('jobs', uid, [line('after')])
    t.equal(await replay(engine, 'jobs'), 'now\nafter\n')
    await engine.reset('jobs')
    t.match(await engine.statTopic('jobs'), { entries: 0, scheduled: 0 }, 'a reset drops the scheduled ones too')
    await engine.append('jobs', uid, [line('gone with the topic')], 60_000)
    await engine.remove('jobs')
    await engine.create('jobs')
    t.match(await engine.statTopic('jobs'), { scheduled: 0 }, 'a removal removes them')
    await t.rejects(engine.setDelay('none', 1000), { code: 'ENOENT' })
    await engine.mkdir('dir')
    await t.rejects(engine.setDelay('dir', 1000), { code: 'EISDIR' })
  })

  if (features.renamesTopics) {
    t.test('schedule: a renamed topic keeps what waits', async t => {
      const { engine, uid } = await fresh()
      await engine.append('jobs', uid, [line('moved')], 200)
      await engine.rename('jobs', 'other')
      t.match(await engine.statTopic('other'), { scheduled: 1 })
      await sleep(250)
      t.equal(await replay(engine, 'other'), 'moved\n')
    })
  }
}
