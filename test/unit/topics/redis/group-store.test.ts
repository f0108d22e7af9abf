import t from 'tap'
import { GroupStore } from '../../../../src/topics/redis/group-store'
import { RedisEngine } from '../../../../src/topics/redis/redis-engine'
import { ScriptRunner } from '../../../../src/topics/redis/script-runner'
import type { GroupPolicy } from '../../../../src/topics/types'
import { commandCalls } from '../../../../scripts/support/redis-server'
import { connectedPerFile } from '../../../helpers/fixture'

// Consumer groups on Redis (src/topics/redis/group-store.ts), on a real redis-server: how each
// script reply becomes a Claim (bytes kept exact), what is sent for nothing, and groups that
// other Redis clients made and read, which are the stream's own.

const fixture = connectedPerFile('group-store-test')

const policy: GroupPolicy = { visibilityMs: 60_000, maxDeliveries: 3 }
const line = (text: string | Buffer) => ({ payload: Buffer.from(text), verbatim: false })

let counter = 0
/** A topic `t` (made through the engine, under a prefix of its own) and a GroupStore on it. */
async function topic (...messages: Array<{ payload: Buffer, verbatim: boolean }>): Promise<{ store: GroupStore, engine: RedisEngine, keys: ReturnType<RedisEngine['keys']['topic']>, uid: string }> {
  const engine = new RedisEngine(fixture.redis, { prefix: `gs${counter++}:`, rangedPageBytes: 0 })
  const { uid } = await engine.create('t')
  if (messages.length > 0) await engine.append('t', uid, messages)
  return { store: new GroupStore(new ScriptRunner(fixture.redis), 256), engine, keys: engine.keys.topic('t'), uid }
}

t.test('a claim of a topic that is gone is undefined; of a topic with no entry yet, none, with nothing to retry and nothing scheduled', async t => {
  const { store, engine, keys, uid } = await topic()
  t.same(await store.claim(keys, 'g', 'c', policy), { kind: 'none', uid, lastId: '0-0', schedule: { announced: '0-0' } })
  await engine.remove('t')
  t.equal(await store.claim(keys, 'g', 'c', policy), undefined)
})

t.test('a message: its rendered bytes exactly, and those claimed ahead paired with their ids', async t => {
  const binary = Buffer.from([0, 13, 10, 255, 0x7b])
  const { store, keys, uid } = await topic(line(binary), { payload: Buffer.from('as is'), verbatim: true }, line('third'))
  const ids = (await fixture.admin.xrange(keys.stream, '-', '+')).map(([id]) => id)
  const claim = await store.claim(keys, 'g', 'c', policy, [], 5)
  t.match(claim, { kind: 'message', uid, id: ids[0], deliveries: 1 })
  if (claim?.kind !== 'message') return
  t.same(claim.data, Buffer.concat([binary, Buffer.from('\n')]), 'binary bytes kept, a line gets its newline')
  t.same(claim.ahead?.map(ahead => [ahead.id, ahead.data.toString()]), [[ids[1], 'as is'], [ids[2], 'third\n']], 'a verbatim one as it is')
  const none = await store.claim(keys, 'g', 'c', policy)
  t.match(none, { kind: 'none', lastId: ids[2] })
  t.ok(none?.kind === 'none' && none.retryInMs! > 59_000 && none.retryInMs! <= 60_000, 'three held: retry when the first may be free')
  const single = await topic(line('one'))
  const only = await single.store.claim(single.keys, 'g', 'c', policy, [], 3)
  t.notOk(only?.kind === 'message' && 'ahead' in only, 'nothing to claim ahead: no ahead at all')
})

t.test('a dead message: its payload as stored, binary, and its verbatim flag', async t => {
  const payload = Buffer.from([1, 2, 3, 13, 10])
  const { store, keys } = await topic({ payload, verbatim: true })
  const strict = { visibilityMs: 0, maxDeliveries: 1 }
  t.match(await store.claim(keys, 'g', 'c', strict), { kind: 'message', deliveries: 1 })
  const dead = await store.claim(keys, 'g', 'c', strict)
  t.match(dead, { kind: 'dead', deliveries: 2 })
  t.same(dead?.kind === 'dead' && dead.message, { payload, verbatim: true })
  const lines = await topic(line('plain'))
  await lines.store.claim(lines.keys, 'g', 'c', strict)
  const plain = await lines.store.claim(lines.keys, 'g', 'c', strict)
  t.same(plain?.kind === 'dead' && plain.message, { payload: Buffer.from('plain'), verbatim: false })
})

t.test('nothing to claim while a message waits to enter: the schedule says when it is due', async t => {
  const { store, engine, keys, uid } = await topic()
  await engine.append('t', uid, [line('later')], 60_000)
  const none = await store.claim(keys, 'g', 'c', policy)
  t.match(none, { kind: 'none', uid })
  const schedule = none?.kind === 'none' ? none.schedule : undefined
  t.ok(schedule?.dueInMs !== undefined && schedule.dueInMs > 59_000 && schedule.dueInMs <= 60_000, `due in ${schedule?.dueInMs} ms`)
  t.not(schedule?.announced, '0-0', 'and announced')
  t.notOk(none?.kind === 'none' && 'retryInMs' in none, 'nothing held')
})

t.test('acknowledging or giving back no id sends nothing', async t => {
  const { store, keys } = await topic(line('x'))
  await fixture.admin.config('RESETSTAT')
  await store.acknowledge(keys, 'g', [])
  t.equal(await store.giveBack(keys, 'g', 'c', policy, []), 0)
  t.same([...await commandCalls(fixture.admin)], [])
})

t.test('acknowledge, hold, give back, leave and sweep answer as their scripts do', async t => {
  const { store, keys } = await topic(line('a'), line('b'), line('c'))
  const first = await store.claim(keys, 'g', 'mount@h:1', policy, [], 2)
  if (first?.kind !== 'message') throw new Error('a message')
  const [b, c] = first.ahead!.map(ahead => ahead.id)
  t.equal(await store.hold(keys, 'g', 'mount@h:1', first.id, 1), true)
  t.equal(await store.hold(keys, 'g', 'mount@h:1', first.id, 2), false, 'another delivery count')
  t.equal(await store.hold(keys, 'g', 'mount@other:2', first.id, 1), false, 'another consumer')
  t.equal(await store.giveBack(keys, 'g', 'mount@h:1', policy, [b!, c!]), 2)
  await store.acknowledge(keys, 'g', [first.id])
  t.match(await store.list(keys), [{ name: 'g', pending: 2 }])
  await store.leave(keys, 'g', 'mount@h:1')
  t.match(await store.list(keys), [{ consumers: 1 }], 'it holds the messages given back: it stays')
  t.equal(await store.sweep(keys, 'nope', 0, 'self'), 0, 'an unknown group')
  t.equal(await store.sweep(keys, 'g', 0, 'mount@h:1'), 0, 'itself is never swept')
})

t.test('a group another client made is the stream\'s own: claims start where it stands, and take over what its consumers left', async t => {
  const { store, engine, keys, uid } = await topic(line('before'))
  await fixture.admin.xgroup('CREATE', keys.stream, 'theirs', '$')
  await engine.append('t', uid, [line('after 1'), line('after 2')])
  const loose = { visibilityMs: 0, maxDeliveries: 5 }
  const first = await store.claim(keys, 'theirs', 'mount@h:1', loose)
  t.equal(first?.kind === 'message' && first.data.toString(), 'after 1\n', 'from where the group stood')
  await store.acknowledge(keys, 'theirs', [first?.kind === 'message' ? first.id : ''])
  const read = await fixture.admin.xreadgroup('GROUP', 'theirs', 'their-worker', 'COUNT', 1, 'STREAMS', keys.stream, '>') as Array<[string, Array<[string, string[]]>]>
  const theirs = read[0]![1][0]![0]
  const taken = await store.claim(keys, 'theirs', 'mount@h:1', loose)
  t.match(taken, { kind: 'message', id: theirs, deliveries: 2 }, 'the one their worker read and left: ours, its second delivery')
  t.equal(taken?.kind === 'message' && taken.data.toString(), 'after 2\n')
  t.match(await store.list(keys), [{ name: 'theirs', consumers: 2, pending: 1, lastDeliveredId: theirs }])
})

t.test('list: no stream yet, no groups; lag unknown once an entry was deleted; a key of another type fails', async t => {
  const { store, engine, keys, uid } = await topic()
  t.same(await store.list(keys), [], 'an empty topic has no stream')
  await engine.append('t', uid, [line('a'), line('b'), line('c')])
  await store.claim(keys, 'zeta', 'c', policy)
  await store.claim(keys, 'alpha', 'c', policy)
  const lists = await store.list(keys)
  t.same(lists.map(group => [group.name, group.lag, group.pending, group.consumers]), [['alpha', 2, 1, 1], ['zeta', 2, 1, 1]], 'as XINFO GROUPS lists them: by name')
  const [, middle] = await fixture.admin.xrange(keys.stream, '-', '+')
  await fixture.admin.xdel(keys.stream, middle![0])
  t.same((await store.list(keys)).map(group => group.lag), [undefined, undefined], 'Redis cannot tell')
  const other = await topic()
  await fixture.admin.set(other.keys.stream, 'not a stream')
  await t.rejects(other.store.list(other.keys), /WRONGTYPE/)
})
