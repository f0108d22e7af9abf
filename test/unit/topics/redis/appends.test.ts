import t, { Test } from 'tap'
import type { Message } from '../../../../src/framing/message'
import { AppendOptions, Appends } from '../../../../src/topics/redis/appends'
import { HeldStats } from '../../../../src/topics/redis/held-stats'
import { KeyLayout } from '../../../../src/topics/redis/keys'
import { Lookup } from '../../../../src/topics/redis/lookup'
import { Namespace } from '../../../../src/topics/redis/namespace'
import { PLACED_PAYLOAD_BYTES } from '../../../../src/topics/redis/placed-append'
import { ScriptRunner } from '../../../../src/topics/redis/script-runner'
import { TrackedStats } from '../../../../src/topics/redis/tracked-stats'
import { pollUntil } from '../../../../src/util/deadline'
import { commandCalls, startRedis, waitFor } from '../../../../scripts/support/redis-server'
import { connectedPerFile } from '../../../helpers/fixture'

// Appends to topics on Redis (src/topics/redis/appends.ts), on a real redis-server: what is sent
// for what, waiting for replicas (none, and a real one), and, where stats are held, the held stat
// an append brings up to date or drops, and which payloads go in by XADD itself.

t.setTimeout(60_000)

const fixture = connectedPerFile('appends-test')

const lines = (...texts: string[]): Message[] => texts.map(text => ({ payload: Buffer.from(text), verbatim: false }))
const OPTIONS: AppendOptions = { indexEvery: 256, notifyChannel: '', retentionArgs: ['', '', ''], waitReplicas: 0, waitTimeoutMs: 2000, cluster: false }

let counter = 0
interface Setup { appends: Appends, keys: KeyLayout, lookup: Lookup, held?: HeldStats, create: (path: string) => Promise<string> }

/** Appends over a prefix of their own; with `hold`, stats are held (a tracked connection, closed at the end of the test). */
async function setup (t: Test, options: Partial<AppendOptions> = {}, hold = false): Promise<Setup> {
  const keys = new KeyLayout(`ap${counter++}:`)
  const runner = new ScriptRunner(fixture.redis)
  const tracked = hold ? new TrackedStats(fixture.redis) : undefined
  if (tracked) t.teardown(() => tracked.close())
  const lookup = new Lookup(runner, keys, 256, false, {}, undefined, tracked)
  const names = new Namespace(runner, keys, lookup, false)
  const held = tracked && new HeldStats(tracked, runner, lookup, names, keys)
  if (tracked && !await pollUntil(() => tracked.cache.up, { timeoutMs: 5000, intervalMs: 5 })) throw new Error('stats are not held')
  const appends = new Appends(fixture.redis, runner, keys, lookup, held, { ...OPTIONS, ...options })
  return { appends, keys, lookup, held, create: async path => (await names.create(path)).uid }
}

/** Calls of each command Redis ran while `work` ran (its scripts' commands included). */
async function commandsOf (work: () => Promise<unknown>): Promise<Map<string, number>> {
  await fixture.admin.config('RESETSTAT')
  await work()
  return await commandCalls(fixture.admin)
}

t.test('no messages: size 0 and nothing sent, whatever the topic', async t => {
  const { appends, create } = await setup(t)
  const uid = await create('t')
  await appends.append('t', uid, lines('x'))
  const calls = await commandsOf(async () => {
    t.equal(await appends.append('t', uid, []), 0)
    t.equal(await appends.append('gone', 'no-uid', []), 0, 'not even ESTALE')
  })
  t.same([...calls], [])
})

t.test('an append to a topic removed, or removed and created again, since it was opened: ESTALE, nothing stored', async t => {
  const { appends, create, keys } = await setup(t)
  await t.rejects(appends.append('none', 'u', lines('x')), { code: 'ESTALE' })
  await create('t')
  await t.rejects(appends.append('t', 'an-older-uid', lines('x')), { code: 'ESTALE' })
  t.equal(await fixture.admin.exists(keys.topic('t').stream), 0)
})

t.test('another client\'s entry: accounted, then the append goes on after it, answering the size of both', async t => {
  const { appends, create, keys } = await setup(t)
  const uid = await create('t')
  await fixture.admin.xadd(keys.topic('t').stream, '*', 'data', 'theirs')
  t.equal(await appends.append('t', uid, lines('ours')), 'theirs\nours\n'.length)
  t.same((await fixture.admin.xrange(keys.topic('t').stream, '-', '+')).map(([, fields]) => fields[1]), ['theirs', 'ours'])
})

t.test('waiting for a replica that is not there: EIO once the wait is over, though the messages are stored', async t => {
  const { appends, create, lookup } = await setup(t, { waitReplicas: 1, waitTimeoutMs: 50 })
  const uid = await create('t')
  await t.rejects(appends.append('t', uid, lines('maybe lost')), { code: 'EIO', message: /only 0 of 1 replicas acknowledged the write within 50 ms/ })
  t.match(await lookup.statTopic('t'), { entries: 1 }, 'applied, as a failover could still lose it')
})

t.test('waiting for a real replica: the append answers once the replica has it; where stats are held, it goes through the main connection', async t => {
  await fixture.admin.config('SET', 'repl-diskless-sync-delay', '0')
  const replica = await startRedis({ persistence: false, args: ['--replicaof', '127.0.0.1', String(fixture.server.port)] })
  t.teardown(() => replica.stop())
  await waitFor(async () => /slave0:.*state=online/.test(await fixture.admin.info('replication')), 10_000, 'the replica to be online')
  const { appends, create, keys } = await setup(t, { waitReplicas: 1, waitTimeoutMs: 5000 })
  const uid = await create('t')
  t.equal(await appends.append('t', uid, lines('kept twice')), 'kept twice\n'.length)
  t.equal((await replica.client().xrange(keys.topic('t').stream, '-', '+')).length, 1, 'the replica has it')

  const holding = await setup(t, { waitReplicas: 1, waitTimeoutMs: 5000 }, true)
  const other = await holding.create('t')
  await holding.lookup.statTopic('t')
  t.ok(holding.held!.held('t'), 'held')
  await holding.appends.append('t', other, lines('x'))
  t.equal(holding.held!.held('t'), undefined, 'WAIT counts one connection\'s writes: the append went through the main one, and the held stat is forgotten, not brought up to date')
  t.match(await holding.lookup.statTopic('t'), { entries: 1 })
})

t.test('where stats are held, an append brings the held stat up to date from its reply; a failed one drops it', async t => {
  const { appends, create, lookup, held, keys } = await setup(t, {}, true)
  const uid = await create('t')
  await lookup.statTopic('t')
  t.ok(held!.held('t'), 'held')
  const size = await appends.append('t', uid, lines('one', 'two'))
  t.match(held!.held('t'), { size, entries: 2 }, 'up to date, with no stat sent')
  t.equal(held!.held('t')!.lastId, (await fixture.admin.xrevrange(keys.topic('t').stream, '+', '-', 'COUNT', 1))[0]![0], 'and its last id')
  await t.rejects(appends.append('t', 'an-older-uid', lines('x')), { code: 'ESTALE' })
  t.equal(held!.held('t'), undefined, 'a failed append may have changed it: dropped')
  await lookup.statTopic('t')
  t.ok(held!.held('t'), 'held again')
  await appends.append('t', uid, lines('later'), 60_000)
  t.equal(held!.held('t'), undefined, 'a scheduled append: no count in its reply, dropped')
})

t.test('a lone large payload goes in by XADD itself where stats are held; the others through the script', async t => {
  const big = (verbatim = false): Message => ({ payload: Buffer.alloc(PLACED_PAYLOAD_BYTES, 'x'), verbatim })
  const { appends, create } = await setup(t, {}, true)
  const uid = await create('t')
  const placed = async (messages: Message[], delayMs?: number, again = false): Promise<boolean> => {
    const calls = await commandsOf(() => appends.append('t', uid, messages, delayMs, { writer: 'w', request: String(counter++), again }))
    return (calls.get('exec') ?? 0) > 0
  }
  t.ok(await placed([big()]), '16 KiB alone: placed')
  t.ok(await placed([big(true)]), 'verbatim too')
  t.notOk(await placed([{ payload: Buffer.alloc(PLACED_PAYLOAD_BYTES - 1), verbatim: false }]), 'a byte less: the script')
  t.notOk(await placed([big(), big()]), 'two of them')
  t.notOk(await placed([big()], 60_000), 'a delayed one')
  t.notOk(await placed([big()], undefined, true), 'one tried again: only the script looks for its token')
  const limited = await setup(t, { retentionArgs: ['100', '', ''] }, true)
  const other = await limited.create('t')
  t.same([...await commandsOf(() => limited.appends.append('t', other, [big()]))].filter(([name]) => name === 'exec'), [], 'a mount with a default retention: the script')
  const plain = await setup(t)
  const third = await plain.create('t')
  t.same([...await commandsOf(() => plain.appends.append('t', third, [big()]))].filter(([name]) => name === 'exec'), [], 'stats not held: the script')
})
