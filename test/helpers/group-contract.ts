import { Test } from 'tap'
import type { TopicEngine } from '../../src/topics/engine'
import type { Claim, GroupPolicy } from '../../src/topics/types'
import { sleep } from '../../src/util/deadline'

/**
 * The consumer-group part of the engine contract (engine-contract.ts runs it on every engine):
 * what claim, acknowledge, holdClaim, leaveGroup, sweepConsumers and groups promise, as the Redis engine's
 * claim.lua, hold.lua, leave.lua and sweep.lua keep it with XAUTOCLAIM and XREADGROUP.
 */

const line = (text: string) => ({ payload: Buffer.from(text), verbatim: false })
/** Long enough that nothing expires within a test. */
const NEVER: GroupPolicy = { visibilityMs: 60_000, maxDeliveries: 5 }
/** Everything handed out and not acknowledged may be claimed again at once. */
const AT_ONCE: GroupPolicy = { visibilityMs: 0, maxDeliveries: 5 }

function text (claim: Claim | undefined): string {
  if (claim?.kind === 'message') return claim.data.toString()
  return claim?.kind ?? 'gone'
}

export function groupContract (t: Test, makeEngine: () => TopicEngine): void {
  const topicWith = async (...messages: string[]): Promise<{ engine: TopicEngine, uid: string }> => {
    const engine = makeEngine()
    const { uid } = await engine.create('jobs')
    if (messages.length > 0) await engine.append('jobs', uid, messages.map(line))
    return { engine, uid }
  }

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
    const engine = makeEngine()
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
