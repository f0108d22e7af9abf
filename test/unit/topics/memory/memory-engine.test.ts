import t from 'tap'
import { MemoryEngine } from '../../../../src/topics/memory/memory-engine'
import { engineContract } from '../../../helpers/engine-contract'
import { lines } from '../../../helpers/topic-io'

// The engine contract (test/helpers/engine-contract.ts) on the memory engine: the same cases the
// Redis engine passes on standalone, Sentinel and Cluster. Waits are on promises; the timeout
// only bounds a test whose wait never ends.
t.setTimeout(30_000)

engineContract(t, defaultRetention => new MemoryEngine({ defaultRetention }), { renamesTopics: true })

// What is the memory engine's own.

t.test('keyOf names the topic by the prefix and its path', async t => {
  t.equal(new MemoryEngine().keyOf('team/orders'), 'memory:{team/orders}')
  t.equal(new MemoryEngine({ prefix: 'test:' }).keyOf('x'), 'test:{x}')
})

t.test('engines share nothing', async t => {
  const a = new MemoryEngine()
  const b = new MemoryEngine()
  const { uid } = await a.create('t')
  await a.append('t', uid, lines('only in a'))
  t.equal(await b.stat('t'), undefined)
  t.same(await b.list(''), [])
})

t.test('after close() the topics stay and waits wait again', async t => {
  const engine = new MemoryEngine()
  const { uid, lastId } = await engine.create('t')
  engine.close()
  const waiting = engine.waitForEntries('t', lastId, uid, new AbortController().signal)
  await engine.append('t', uid, lines('x'))
  t.equal(await waiting, 'data')
})
