import t from 'tap'
import type { Message } from '../../../../src/framing/message'
import { MemoryGroups } from '../../../../src/topics/memory/memory-groups'
import { MemoryTopic } from '../../../../src/topics/memory/memory-topic'
import type { Claim, GroupPolicy } from '../../../../src/topics/types'

// The consumer groups of one topic held in memory (src/topics/memory/memory-groups.ts), on a real
// MemoryTopic and a clock the test moves: visibility timeouts, retry times, holds, give-backs,
// dead messages, leaving and sweeping, decided to the millisecond.

const lines = (...texts: string[]): Message[] => texts.map(text => ({ payload: Buffer.from(text), verbatim: false }))
const policy: GroupPolicy = { visibilityMs: 1000, maxDeliveries: 3 }
const A = 'mount@host-a:1'
const B = 'mount@host-b:2'

function setup (...texts: string[]): { topic: MemoryTopic, groups: MemoryGroups, clock: { now: number } } {
  const topic = new MemoryTopic()
  if (texts.length > 0) topic.append(lines(...texts))
  const clock = { now: 100_000 }
  return { topic, groups: new MemoryGroups(topic, () => clock.now), clock }
}

const text = (claim: Claim): string => claim.kind === 'message' ? claim.data.toString() : claim.kind

t.test('a message left unacknowledged goes to the next claimer exactly when its visibility timeout has passed, before any new one', async t => {
  const { groups, clock } = setup('m1', 'm2', 'm3')
  t.match(groups.claim('g', A, policy), { kind: 'message', deliveries: 1 })
  clock.now += 999
  t.equal(text(groups.claim('g', B, policy)), 'm2\n', '1 ms early: the next new message')
  clock.now += 1
  const again = groups.claim('g', B, policy)
  t.match(again, { kind: 'message', deliveries: 2 }, 'at the timeout: m1, its second delivery')
  t.equal(text(again), 'm1\n')
  t.equal(text(groups.claim('g', A, policy)), 'm3\n')
})

t.test('nothing to hand out: retry in what is left of the soonest visibility timeout; no retry time when nothing is pending', async t => {
  const { topic, groups, clock } = setup('m1', 'm2')
  t.same(groups.claim('g', A, policy).kind, 'message')
  clock.now += 300
  groups.claim('g', A, policy)
  clock.now += 200
  t.match(groups.claim('g', B, policy), { kind: 'none', retryInMs: 500, lastId: topic.lastId, uid: topic.uid }, 'm1 is free in 500 ms, m2 in 800')
  groups.acknowledge('g', topic.firstId!)
  groups.acknowledge('g', topic.lastId)
  const none = groups.claim('g', B, policy)
  t.equal(none.kind, 'none')
  t.notOk('retryInMs' in none, 'nothing held: wait for new entries only')
})

t.test('the retry time looks at the 100 oldest messages pending only, as XPENDING with a count of 100 does', async t => {
  const { groups, clock } = setup(...Array.from({ length: 101 }, (_, i) => `m${i}`))
  const ids: string[] = []
  for (let i = 0; i < 101; i++) {
    const claim = groups.claim('g', A, policy)
    if (claim.kind === 'message') ids.push(claim.id)
    clock.now += 1
  }
  clock.now += 10
  // The 100 oldest held now: the 101st, claimed 10 ms ago, is the one free soonest.
  for (const id of ids.slice(0, 100)) t.ok(groups.hold('g', A, id, 1), `held ${id}`)
  t.match(groups.claim('g', B, policy), { kind: 'none', retryInMs: policy.visibilityMs }, 'from the oldest 100: a whole timeout')
  groups.acknowledge('g', ids[0]!)
  t.match(groups.claim('g', B, policy), { kind: 'none', retryInMs: policy.visibilityMs - 11 }, 'one acknowledged: the 101st is among the 100')
})

t.test('new messages are claimed ahead only with a new message, never with one delivered again', async t => {
  const { groups, clock } = setup('m1', 'm2', 'm3', 'm4')
  const first = groups.claim('g', A, policy, [], 2)
  t.equal(text(first), 'm1\n')
  t.same(first.kind === 'message' && first.ahead?.map(a => a.data.toString()), ['m2\n', 'm3\n'])
  const last = groups.claim('g', A, policy, [], 5)
  t.equal(text(last), 'm4\n')
  t.notOk(last.kind === 'message' && last.ahead, 'nothing left to take ahead: no ahead at all')
  clock.now += policy.visibilityMs
  const again = groups.claim('g', B, policy, [], 3)
  t.match(again, { kind: 'message', deliveries: 2 })
  t.notOk(again.kind === 'message' && again.ahead, 'a delivery again takes nothing ahead')
  t.match(groups.list(), [{ pending: 4, consumers: 2, lag: 0 }], 'what was claimed ahead is pending')
})

t.test('past maxDeliveries a message is dead, with its payload and verbatim flag; it stays pending until acknowledged', async t => {
  const topic = new MemoryTopic()
  topic.append([{ payload: Buffer.from('raw bytes'), verbatim: true }])
  const clock = { now: 0 }
  const groups = new MemoryGroups(topic, () => clock.now)
  const strict = { visibilityMs: 10, maxDeliveries: 2 }
  t.match(groups.claim('g', A, strict), { kind: 'message', deliveries: 1 })
  clock.now += 10
  t.match(groups.claim('g', A, strict), { kind: 'message', deliveries: 2 })
  clock.now += 10
  const dead = groups.claim('g', A, strict)
  t.match(dead, { kind: 'dead', deliveries: 3, id: topic.lastId })
  t.same(dead.kind === 'dead' && { payload: dead.message.payload.toString(), verbatim: dead.message.verbatim }, { payload: 'raw bytes', verbatim: true })
  t.equal(groups.list()[0]!.pending, 1, 'still pending')
  groups.acknowledge('g', topic.lastId)
  t.equal(groups.list()[0]!.pending, 0)
})

t.test('a hold is refused for another consumer, another delivery, an unknown group or id; an idle time brings the message back sooner', async t => {
  const { topic, groups, clock } = setup('m1')
  const id = topic.lastId
  groups.claim('g', A, policy)
  t.notOk(groups.hold('g', B, id, 1), 'another consumer')
  t.notOk(groups.hold('g', A, id, 2), 'another delivery')
  t.notOk(groups.hold('nope', A, id, 1), 'an unknown group')
  t.notOk(groups.hold('g', A, '9-9', 1), 'an unknown id')
  clock.now += 900
  t.ok(groups.hold('g', A, id, 1), 'its holder')
  clock.now += 999
  t.equal(groups.claim('g', B, policy).kind, 'none', 'held: a whole timeout from the hold')
  t.ok(groups.hold('g', A, id, 1, 990))
  clock.now += 9
  t.equal(groups.claim('g', B, policy).kind, 'none', 'an idle time of 990: free after 10 ms, not 9')
  clock.now += 1
  t.match(groups.claim('g', B, policy), { kind: 'message', deliveries: 2 })
  t.ok(groups.hold('g', B, id, 2, -5000), 'an idle time below zero is taken as none')
  clock.now += 999
  t.equal(groups.claim('g', A, policy).kind, 'none')
})

t.test('give back: only its consumer\'s first deliveries; they go to the next claim at once, still a first delivery', async t => {
  const { groups, clock } = setup('m1', 'm2', 'm3')
  const first = groups.claim('g', A, policy, [], 2)
  const ids = [first.kind === 'message' ? first.id : '', ...(first.kind === 'message' ? first.ahead!.map(a => a.id) : [])]
  t.equal(groups.giveBack('g', B, policy, ids), 0, 'not B\'s')
  t.equal(groups.giveBack('nope', A, policy, ids), 0, 'an unknown group')
  clock.now += policy.visibilityMs
  t.match(groups.claim('g', B, policy), { kind: 'message', deliveries: 2, id: ids[0] }, 'm1 delivered again, to B')
  t.equal(groups.giveBack('g', A, policy, ids), 2, 'm2 and m3: m1 is B\'s now')
  t.equal(groups.giveBack('g', A, policy, ids), 0, 'given back once')
  t.match(groups.claim('g', B, policy), { kind: 'message', deliveries: 1, id: ids[1] }, 'given back: claimable at once, its delivery not counted')
  t.match(groups.claim('g', B, policy), { kind: 'message', deliveries: 1, id: ids[2] })
  t.equal(groups.claim('g', B, policy).kind, 'none')
})

t.test('entries a reset deleted are dropped from the pending list as the claims pass them', async t => {
  const { topic, groups, clock } = setup('m1', 'm2')
  groups.claim('g', A, policy)
  groups.claim('g', A, policy)
  topic.reset()
  t.equal(groups.list()[0]!.pending, 2)
  clock.now += policy.visibilityMs
  t.equal(groups.claim('g', B, policy).kind, 'none')
  t.equal(groups.list()[0]!.pending, 0, 'both dropped')
  topic.append(lines('m3'))
  t.equal(text(groups.claim('g', B, policy)), 'm3\n', 'the group goes on with the new entries')
})

t.test('leave drops a consumer that holds nothing; sweep drops our idle consumers, exactly past the idle time, never self, a holder or another client\'s', async t => {
  const { topic, groups, clock } = setup('m1')
  groups.leave('nope', A)
  groups.claim('g', A, policy)
  groups.claim('g', B, policy)
  groups.claim('g', 'their-worker', policy)
  groups.claim('g', 'work@host-c:3', policy)
  t.equal(groups.list()[0]!.consumers, 4)
  groups.leave('g', A)
  t.equal(groups.list()[0]!.consumers, 4, 'A holds m1: it stays')
  clock.now += 5000
  t.equal(groups.sweep('g', 5000, B), 0, 'idle for exactly the idle time: kept')
  clock.now += 1
  t.equal(groups.sweep('g', 5000, B), 1, 'past it: work@host-c:3 only (A holds m1, B is self, their-worker is not ours)')
  t.equal(groups.list()[0]!.consumers, 3)
  groups.acknowledge('g', topic.lastId)
  groups.leave('g', A)
  t.equal(groups.list()[0]!.consumers, 2)
  t.equal(groups.sweep('nope', 0, B), 0, 'an unknown group')
})

t.test('list: every group by name, made at its first claim, with its lag and last delivered id', async t => {
  const { topic, groups } = setup('m1', 'm2', 'm3')
  t.same(groups.list(), [])
  groups.claim('zeta', A, policy)
  groups.claim('alpha', A, policy, [], 1)
  t.same(groups.list().map(g => [g.name, g.lag, g.lastDeliveredId]), [['alpha', 1, topic.entryAfter(topic.firstId!)!.id], ['zeta', 2, topic.firstId]])
  const empty = new MemoryGroups(new MemoryTopic())
  t.equal(empty.claim('g', A, policy).kind, 'none')
  t.same(empty.list(), [{ name: 'g', consumers: 1, pending: 0, lag: 0, lastDeliveredId: '0-0' }], 'a claim of an empty topic makes the group')
})

t.test('a claim acknowledges the ids it is given first, including unknown ones', async t => {
  const { topic, groups, clock } = setup('m1', 'm2')
  const first = groups.claim('g', A, policy)
  t.match(groups.claim('g', A, policy, [first.kind === 'message' ? first.id : '', '5-5']), { kind: 'message', id: topic.lastId })
  clock.now += policy.visibilityMs
  t.match(groups.claim('g', B, policy), { kind: 'message', id: topic.lastId, deliveries: 2 }, 'm1 was acknowledged: only m2 comes back')
})
