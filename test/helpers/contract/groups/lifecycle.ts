import { Test } from 'tap'
import { sleep } from '../../../../src/util/deadline'
import type { EngineBackend } from '../backend'
import { AT_ONCE, jobsTopics, line, NEVER, text } from './topics'

/** Groups, their life: through a reset, listed with their consumers, consumers leaving and swept. */
export function groupLifecycle (t: Test, backend: EngineBackend): void {
  const topicWith = jobsTopics(backend)

  t.test('groups: a reset keeps them; pending messages it deleted are skipped', async t => {
    const { engine, uid } = await topicWith('a', 'b')
    await engine.claim('jobs', 'w', 'one', NEVER)
    await engine.reset('jobs')
    t.equal(text(await engine.claim('jobs', 'w', 'two', AT_ONCE)), 'none', 'the deleted pending message is not handed out')
    await engine.append('jobs', uid, [line('c')])
    t.equal(text(await engine.claim('jobs', 'w', 'two', AT_ONCE)), 'c\n', 'messages pushed after the reset')
    const [group] = (await engine.groups('jobs'))!
    t.equal(group?.pending, 1, 'only c is pending')
  })

  t.test('groups: listed with consumers, pending, lag and last delivered id; leaveGroup drops an idle consumer', async t => {
    const { engine } = await topicWith('a', 'b', 'c')
    t.same(await engine.groups('jobs'), [])
    t.equal(await engine.groups('none'), undefined)
    const a = await engine.claim('jobs', 'w', 'one', NEVER)
    await engine.claim('jobs', 'w', 'two', NEVER)
    if (a?.kind !== 'message') throw new Error('expected a message')
    await engine.acknowledge('jobs', 'w', a.id)
    await engine.claim('jobs', 'audit', 'x', NEVER)
    const listed = await engine.groups('jobs')
    t.match(listed, [
      { name: 'audit', consumers: 1, pending: 1, lag: 2, lastDeliveredId: a.id },
      { name: 'w', consumers: 2, pending: 1, lag: 1 }
    ])
    await engine.leaveGroup('jobs', 'w', 'one')
    await engine.leaveGroup('jobs', 'w', 'two')
    t.match((await engine.groups('jobs'))!.find(group => group.name === 'w'), { consumers: 1, pending: 1 }, 'two holds a message: it stays')
  })

  t.test('groups: sweepConsumers removes our consumers that hold nothing and stay idle; never others\' or the caller', async t => {
    const { engine } = await topicWith('a', 'b', 'c', 'd', 'e', 'f')
    const consumers = ['mount@x:1', 'mount@x:2', 'service-1', 'mount@x:3', 'work@x:4', 'work@queue']
    const ids: string[] = []
    for (const consumer of consumers) {
      const claim = await engine.claim('jobs', 'w', consumer, NEVER)
      if (claim?.kind !== 'message') throw new Error('expected a message')
      ids.push(claim.id)
    }
    // mount@x:2 keeps its message; the others are done with theirs.
    for (const [i, id] of ids.entries()) if (i !== 1) await engine.acknowledge('jobs', 'w', id)
    const count = async (): Promise<number | undefined> => (await engine.groups('jobs'))?.[0]?.consumers
    t.equal(await count(), 6)
    t.equal(await engine.sweepConsumers('jobs', 'w', 60_000, 'mount@x:3'), 0, 'none idle past the threshold yet')
    await sleep(300)
    t.equal(await engine.sweepConsumers('jobs', 'w', 200, 'mount@x:3'), 2, 'mount@x:1 and work@x:4 go')
    t.equal(await count(), 4)
    t.equal(await engine.sweepConsumers('jobs', 'w', 200, 'mount@x:9'), 1, 'the caller was kept: it goes when another sweeps')
    t.equal(await count(), 3, 'service-1 and work@queue (not ours) and mount@x:2 (holding a message) stay')
    await engine.acknowledge('jobs', 'w', ids[1]!)
    t.equal(await engine.sweepConsumers('jobs', 'w', 200, 'mount@x:9'), 1, 'mount@x:2 goes once it holds nothing')
    t.equal(await count(), 2, 'the others\' stay')
    t.equal(text(await engine.claim('jobs', 'w', 'mount@x:1', AT_ONCE)), 'none', 'a removed consumer claims as before')
    t.equal(await engine.sweepConsumers('jobs', 'nogroup', 0, 'mount@x:9'), 0, 'no group')
    t.equal(await engine.sweepConsumers('none', 'w', 0, 'mount@x:9'), 0, 'no topic')
    await engine.create('empty')
    t.equal(await engine.sweepConsumers('empty', 'w', 0, 'mount@x:9'), 0, 'a topic with no message yet')
  })
}
