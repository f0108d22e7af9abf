import { Test } from 'tap'
import type { GroupPolicy } from '../../../../src/topics/types'
import { sleep } from '../../../../src/util/deadline'
import type { EngineBackend } from '../backend'
import { AT_ONCE, jobsTopics, NEVER, text } from './topics'

/** Groups, holds: a held message stays its holder's, an idle time brings it back sooner, past max deliveries it is dead. */
export function groupHolds (t: Test, backend: EngineBackend): void {
  const { freshStore } = backend
  const topicWith = jobsTopics(backend)

  t.test('groups: a held message stays its holder\'s past the timeout; holding fails once it is another\'s', async t => {
    const { engine } = await topicWith('a')
    const policy: GroupPolicy = { visibilityMs: 1000, maxDeliveries: 5 }
    const a = await engine.claim('jobs', 'w', 'one', policy)
    if (a?.kind !== 'message') throw new Error('expected a message')
    await sleep(1100)
    t.equal(await engine.holdClaim('jobs', 'w', 'one', a.id, a.deliveries), true)
    t.equal(text(await engine.claim('jobs', 'w', 'two', policy)), 'none', 'held: nobody else gets it')
    const taken = await engine.claim('jobs', 'w', 'two', AT_ONCE)
    t.match(taken, { kind: 'message', id: a.id, deliveries: 2 })
    t.equal(await engine.holdClaim('jobs', 'w', 'one', a.id, a.deliveries), false, 'no longer the first holder\'s')
    t.equal(await engine.holdClaim('jobs', 'w', 'two', a.id, 1), false, 'not that delivery of it')
    t.equal(await engine.holdClaim('jobs', 'w', 'two', a.id, 2), true)
    await engine.acknowledge('jobs', 'w', a.id)
    t.equal(await engine.holdClaim('jobs', 'w', 'two', a.id, 2), false, 'acknowledged')
    t.equal(await engine.holdClaim('jobs', 'nogroup', 'two', a.id, 2), false, 'no such group')
  })

  t.test('groups: holding with an idle time brings a message back that much sooner, its delivery count kept', async t => {
    const { engine } = await topicWith('a')
    const a = await engine.claim('jobs', 'w', 'one', NEVER)
    if (a?.kind !== 'message') throw new Error('expected a message')
    t.equal(await engine.holdClaim('jobs', 'w', 'one', a.id, 2, 58_000), false, 'not that delivery of it')
    t.equal(await engine.holdClaim('jobs', 'w', 'one', a.id, 1, 58_000), true, 'claimable again in 2 s')
    const none = await engine.claim('jobs', 'w', 'two', NEVER)
    t.equal(text(none), 'none', 'not yet')
    t.ok(none?.kind === 'none' && none.retryInMs !== undefined && none.retryInMs > 0 && none.retryInMs <= 2000, `says when: in ${none?.kind === 'none' && none.retryInMs} ms`)
    await sleep(2100)
    t.match(await engine.claim('jobs', 'w', 'two', NEVER), { kind: 'message', id: a.id, deliveries: 2 }, 'then to the next claimer, as its second delivery')
    t.equal(await engine.holdClaim('jobs', 'w', 'two', a.id, 2, 120_000), true, 'an idle time past the timeout')
    t.match(await engine.claim('jobs', 'w', 'three', NEVER), { kind: 'message', id: a.id, deliveries: 3 }, 'claimable at once')
    t.equal(await engine.holdClaim('jobs', 'w', 'three', a.id, 3, -5000), true, 'an idle time below zero')
    t.equal(text(await engine.claim('jobs', 'w', 'two', { visibilityMs: 10_000, maxDeliveries: 5 })), 'none', 'is taken as none')
  })

  t.test('groups: past max deliveries a message is dead, with its payload as stored', async t => {
    const engine = freshStore()
    const { uid } = await engine.create('jobs')
    await engine.append('jobs', uid, [{ payload: Buffer.from([0, 1, 2, 0xff]), verbatim: true }])
    const policy: GroupPolicy = { visibilityMs: 0, maxDeliveries: 2 }
    t.match(await engine.claim('jobs', 'w', 'one', policy), { kind: 'message', deliveries: 1 })
    t.match(await engine.claim('jobs', 'w', 'one', policy), { kind: 'message', deliveries: 2 })
    const dead = await engine.claim('jobs', 'w', 'one', policy)
    if (dead?.kind !== 'dead') throw new Error(`expected a dead letter, got ${dead?.kind}`)
    t.equal(dead.deliveries, 3)
    t.same(dead.message, { payload: Buffer.from([0, 1, 2, 0xff]), verbatim: true })
    t.match(await engine.claim('jobs', 'w', 'one', policy), { kind: 'dead' }, 'dead until acknowledged')
    await engine.acknowledge('jobs', 'w', dead.id)
    t.equal(text(await engine.claim('jobs', 'w', 'one', policy)), 'none')
  })
}
