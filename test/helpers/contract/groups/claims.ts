import { Test } from 'tap'
import type { EngineBackend } from '../backend'
import { AT_ONCE, jobsTopics, line, NEVER, text } from './topics'

/** Groups, claims: each message to one consumer, redelivered past its timeout, acknowledged with the next claim, taken ahead and given back. */
export function groupClaims (t: Test, backend: EngineBackend): void {
  const topicWith = jobsTopics(backend)

  t.test('groups: each message to one consumer, in order; a new group starts at the first message', async t => {
    const { engine, uid } = await topicWith('a', 'b', 'c')
    const first = await engine.claim('jobs', 'w', 'one', NEVER)
    t.match(first, { kind: 'message', uid, deliveries: 1 })
    t.equal(text(first), 'a\n')
    t.equal(text(await engine.claim('jobs', 'w', 'two', NEVER)), 'b\n')
    t.equal(text(await engine.claim('jobs', 'w', 'one', NEVER)), 'c\n')
    const none = await engine.claim('jobs', 'w', 'two', NEVER)
    t.match(none, { kind: 'none', uid })
    t.equal(none?.kind === 'none' && none.lastId, (await engine.statTopic('jobs'))!.lastId, 'wait after the last entry')
    t.equal(text(await engine.claim('jobs', 'audit', 'x', NEVER)), 'a\n', 'another group gets every message too')
    await engine.append('jobs', uid, [line('d')])
    t.equal(text(await engine.claim('jobs', 'w', 'two', NEVER)), 'd\n')
    t.equal((await engine.statTopic('jobs'))!.entries, 4, 'a pull never removes')
    t.equal(await engine.claim('none', 'w', 'one', NEVER), undefined, 'no topic')
  })

  t.test('groups: unacknowledged past the visibility timeout, a message goes to the next claimer; acknowledged, never', async t => {
    const { engine } = await topicWith('a', 'b')
    const a = await engine.claim('jobs', 'w', 'one', NEVER)
    const b = await engine.claim('jobs', 'w', 'one', NEVER)
    t.equal(text(await engine.claim('jobs', 'w', 'two', NEVER)), 'none', 'not before its timeout')
    if (a?.kind !== 'message' || b?.kind !== 'message') throw new Error('expected messages')
    await engine.acknowledge('jobs', 'w', a.id)
    const again = await engine.claim('jobs', 'w', 'two', AT_ONCE)
    t.match(again, { kind: 'message', id: b.id, deliveries: 2 }, 'b, handed out a second time')
    t.equal(text(await engine.claim('jobs', 'w', 'three', NEVER)), 'none', 'a, acknowledged, never again')
    const none = await engine.claim('jobs', 'w', 'three', { visibilityMs: 60_000, maxDeliveries: 5 })
    t.ok(none?.kind === 'none' && none.retryInMs !== undefined && none.retryInMs > 50_000 && none.retryInMs <= 60_000, 'says when the held message may be free')
  })

  t.test('groups: a claim acknowledges the message its consumer finished, in the same step', async t => {
    const { engine } = await topicWith('a', 'b')
    const a = await engine.claim('jobs', 'w', 'one', NEVER)
    if (a?.kind !== 'message') throw new Error('expected a message')
    t.equal(text(await engine.claim('jobs', 'w', 'one', AT_ONCE, [a.id])), 'b\n', 'not a again, though it would be free')
    t.equal((await engine.groups('jobs'))![0]!.pending, 1, 'only b is pending')
    t.equal(await engine.claim('none', 'w', 'one', NEVER, [a.id]), undefined)
  })

  t.test('groups: a claim may take new messages ahead, and acknowledge several finished ones at once', async t => {
    const { engine } = await topicWith('a', 'b', 'c', 'd', 'e')
    const first = await engine.claim('jobs', 'w', 'one', NEVER, [], 2)
    if (first?.kind !== 'message') throw new Error('expected a message')
    t.equal(first.data.toString(), 'a\n')
    t.same(first.ahead?.map(claimed => claimed.data.toString()), ['b\n', 'c\n'], 'the next two, in order')
    t.equal(text(await engine.claim('jobs', 'w', 'two', NEVER)), 'd\n', 'not handed to anybody else')
    t.equal((await engine.groups('jobs'))![0]!.pending, 4)
    const last = await engine.claim('jobs', 'w', 'one', NEVER, [first.id, ...first.ahead!.map(claimed => claimed.id)], 5)
    t.match(last, { kind: 'message', deliveries: 1 }, 'as many as there are')
    t.equal(last?.kind === 'message' ? last.ahead : 'none', undefined, 'no more to take ahead')
    t.equal((await engine.groups('jobs'))![0]!.pending, 2, 'a, b and c acknowledged: d and e are pending')
  })

  t.test('groups: messages claimed ahead and given back go to the next claim at once, as a first delivery', async t => {
    const { engine } = await topicWith('a', 'b', 'c', 'd')
    const first = await engine.claim('jobs', 'w', 'one', NEVER, [], 3)
    if (first?.kind !== 'message') throw new Error('expected a message')
    const [b, c, d] = first.ahead!
    t.equal(text(await engine.claim('jobs', 'w', 'two', NEVER)), 'none', 'everything is claimed')
    await engine.acknowledge('jobs', 'w', d!.id)
    const stolen = await engine.claim('jobs', 'w', 'two', AT_ONCE)
    t.match(stolen, { kind: 'message', id: first.id, deliveries: 2 }, 'a, the handed-out one, taken by another past its timeout')
    t.equal(await engine.giveBack('jobs', 'w', 'one', NEVER, [b!.id, c!.id, d!.id, first.id]), 2,
      'b and c given back; d acknowledged and a no longer its first delivery are left alone')
    t.match(await engine.claim('jobs', 'w', 'two', NEVER), { kind: 'message', id: b!.id, deliveries: 1 }, 'claimable at once, its delivery not counted')
    t.match(await engine.claim('jobs', 'w', 'three', NEVER), { kind: 'message', id: c!.id, deliveries: 1 })
    t.equal(await engine.giveBack('jobs', 'nogroup', 'one', NEVER, [b!.id]), 0, 'no such group')
  })
}
