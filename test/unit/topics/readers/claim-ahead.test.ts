import t from 'tap'
import { ACK_DELAY_MS, AheadSink, ClaimAhead, MAX_AHEAD } from '../../../../src/topics/readers/claim-ahead'

// The rules of claiming ahead, on a clock the test moves: how many to claim, which are fresh
// enough to hand out, what is given back, and when owed acknowledgements are sent.

const POLICY = { visibilityMs: 6000, maxDeliveries: 5 }

function clocked (policy = POLICY): { ahead: ClaimAhead, advance: (ms: number) => void } {
  let now = 1_000_000
  return { ahead: new ClaimAhead(policy, () => now), advance: ms => { now += ms } }
}

/** A sink that records what it is sent, failing while `failing` says so. */
function recorder (failing = (): boolean => false): AheadSink & { acknowledged: string[][], givenBack: string[][] } {
  const acknowledged: string[][] = []
  const givenBack: string[][] = []
  return {
    acknowledged,
    givenBack,
    async acknowledge (ids) {
      if (failing()) throw new Error('Redis is away')
      acknowledged.push(ids)
    },
    async giveBack (ids) { givenBack.push(ids) }
  }
}

const message = (id: string): { id: string, data: Buffer } => ({ id, data: Buffer.from(`${id}\n`) })
const claimed = (id: string, deliveries = 1): { id: string, data: Buffer, deliveries: number } => ({ ...message(id), deliveries })
const settle = (): Promise<void> => new Promise(resolve => setTimeout(resolve, ACK_DELAY_MS * 5))

t.test('nothing is claimed ahead for readers that took nothing lately: slow jobs are never held back', async t => {
  const { ahead, advance } = clocked()
  t.equal(ahead.wanted, 0)
  ahead.claimedNow(claimed('1'), [], recorder())
  t.equal(ahead.wanted, 1, 'one read in the last 20 ms')
  advance(21)
  t.equal(ahead.wanted, 0, 'none after it')
})

t.test('as many ahead as the readers took in the last 20 ms, at most MAX_AHEAD', async t => {
  const { ahead, advance } = clocked()
  const sink = recorder()
  ahead.claimedNow(claimed('0'), [message('1'), message('2'), message('3')], sink)
  for (let i = 0; i < 3; i++) {
    advance(1)
    t.ok(ahead.take())
  }
  t.equal(ahead.wanted, 4)
  for (let i = 0; i < 40; i++) ahead.claimedNow(claimed(String(i + 4)), [], sink)
  t.equal(ahead.wanted, MAX_AHEAD)
})

t.test('nothing ahead when one delivery is all a message gets: a crash would dead-letter it unread', async t => {
  const { ahead } = clocked({ ...POLICY, maxDeliveries: 1 })
  for (let i = 0; i < 10; i++) ahead.claimedNow(claimed(String(i)), [], recorder())
  t.equal(ahead.wanted, 0)
})

t.test('messages claimed ahead are handed out in order while fresh, then given back', async t => {
  const { ahead, advance } = clocked()
  const sink = recorder()
  t.equal(ahead.claimedNow(claimed('0'), [message('1'), message('2'), message('3')], sink).id, '0')
  t.same(ahead.take(), claimed('1'))
  advance(POLICY.visibilityMs / 6 - 1)
  t.equal(ahead.take()?.id, '2')
  advance(1)
  t.equal(ahead.take(), undefined, 'stale')
  t.same(sink.givenBack, [['3']], 'and given back: claimable by anybody at once')
  t.equal(ahead.take(), undefined)
})

t.test('stale messages are given back when they turn stale, with no reader asking', async t => {
  let now = 1_000_000
  const policy = { visibilityMs: 60, maxDeliveries: 5 }
  const ahead = new ClaimAhead(policy, () => now)
  const sink = recorder()
  ahead.claimedNow(claimed('0'), [message('1'), message('2')], sink)
  now += policy.visibilityMs / 6
  await new Promise(resolve => setTimeout(resolve, policy.visibilityMs / 6 + 20))
  t.same(sink.givenBack, [['1', '2']])
})

t.test('a claim answered while messages claimed ahead wait hands out the oldest: one process hands out in stream order', async t => {
  const { ahead } = clocked()
  const sink = recorder()
  ahead.claimedNow(claimed('1'), [message('2'), message('3')], sink)
  const second = ahead.claimedNow(claimed('4'), [message('5')], sink)
  t.equal(second.id, '2', 'the oldest waiting message, not the one just claimed')
  t.same([ahead.take()?.id, ahead.take()?.id, ahead.take()?.id, ahead.take()], ['3', '4', '5', undefined])
  const again = ahead.claimedNow(claimed('6'), [message('7')], sink)
  t.equal(again.id, '6', 'nothing waiting: the claimed message itself')
  const redelivered = ahead.claimedNow(claimed('0', 2), [], sink)
  t.same([redelivered.id, redelivered.deliveries], ['0', 2], 'a message handed out again goes at once')
  t.same(ahead.take(), claimed('7'))
})

t.test('owed acknowledgements: carried by the next claim, else sent together within ACK_DELAY_MS', async t => {
  const { ahead } = clocked()
  const sink = recorder()
  ahead.finished(['a'], sink)
  ahead.finished(['b'], sink)
  t.same(ahead.takeAcknowledgements(), ['a', 'b'], 'a claim takes them')
  await settle()
  t.same(sink.acknowledged, [], 'and they are not sent twice')
  ahead.finished(['c'], sink)
  ahead.finished(['d'], sink)
  await settle()
  t.same(sink.acknowledged, [['c', 'd']], 'one acknowledgement for both')
})

t.test('acknowledgements that failed are kept and tried again; close sends what is owed and gives back what is unread', async t => {
  const { ahead } = clocked()
  let failing = true
  const sink = recorder(() => failing)
  ahead.finished(['a'], sink)
  await settle()
  t.same(sink.acknowledged, [])
  ahead.unsent(['b'])
  t.same(ahead.takeAcknowledgements(), ['a', 'b'], 'a claim would carry both')
  ahead.unsent(['a', 'b'])
  failing = false
  ahead.claimedNow(claimed('w'), [message('x')], sink)
  await ahead.close()
  t.same(sink.acknowledged, [['a', 'b']], 'sent at close')
  t.same(sink.givenBack, [['x']], 'given back at close')
  t.equal(ahead.take(), undefined, 'nothing claimed ahead is handed out after the close')
})
