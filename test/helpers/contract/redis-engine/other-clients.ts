import { Test } from 'tap'
import { render } from '../../../../src/framing/entry'
import { lines, readAll } from '../../topic-io'
import type { RedisEngineBackend } from './backend'

/** Other clients' commands on a topic's stream: entries added, deleted or capped, odd entries rendered alike. */
export function redisOtherClients (t: Test, backend: RedisEngineBackend): void {
  const { freshStore } = backend

  t.test('entries added by other clients appear in reads and stat', async t => {
    const store = freshStore()
    const { uid } = await store.create('mixed')
    await store.append('mixed', uid, lines('ours'))
    const { stream } = store.keys.topic('mixed')
    await backend.client.xadd(stream, '*', 'data', 'theirs')
    await backend.client.xadd(stream, '*', 'source', 'svc', 'level', 'info')
    const stat = await store.statTopic('mixed')
    const expected = 'ours\ntheirs\nsource=svc level=info\n'
    t.equal(stat?.size, expected.length)
    t.equal(stat?.entries, 3)
    t.equal((await readAll(store, 'mixed')).toString(), expected)
    await store.append('mixed', uid, lines('after'))
    t.equal((await readAll(store, 'mixed')).toString(), expected + 'after\n', 'our appends go on after theirs')
    t.equal((await store.statTopic('mixed'))?.size, expected.length + 6)
  })

  t.test('entries deleted by other clients are accounted again', async t => {
    const store = freshStore(8)
    const { uid } = await store.create('trimmed')
    await store.append('trimmed', uid, lines('one', 'two', 'three'))
    const { stream } = store.keys.topic('trimmed')
    const [first] = await backend.client.xrange(stream, '-', '+', 'COUNT', 1)
    await backend.client.xdel(stream, first![0])
    t.equal((await store.statTopic('trimmed'))?.size, 'two\nthree\n'.length)
    t.equal((await readAll(store, 'trimmed')).toString(), 'two\nthree\n')
  })

  t.test('changes that keep the length are noticed: a capped producer, the newest entry deleted', async t => {
    const store = freshStore(8)
    const { uid } = await store.create('capped')
    await store.append('capped', uid, lines('one', 'two', 'three'))
    const { stream } = store.keys.topic('capped')
    // XADD with MAXLEN adds one entry and trims one: the entry count does not change.
    await backend.client.xadd(stream, 'MAXLEN', '3', '*', 'data', 'four')
    t.equal((await store.statTopic('capped'))?.size, 'two\nthree\nfour\n'.length)
    await store.append('capped', uid, lines('five'))
    t.equal((await readAll(store, 'capped')).toString(), 'two\nthree\nfour\nfive\n', 'an append first accounts the change')
    const [newest] = await backend.client.xrevrange(stream, '+', '-', 'COUNT', 1)
    await backend.client.xdel(stream, newest![0])
    await store.append('capped', uid, lines('six'))
    t.equal((await readAll(store, 'capped')).toString(), 'two\nthree\nfour\nsix\n', 'after the newest entry was deleted')
    t.equal((await store.statTopic('capped'))?.size, 'two\nthree\nfour\nsix\n'.length)
  })

  t.test('rendering in Lua and in TypeScript agree for odd entries', async t => {
    const store = freshStore()
    await store.create('odd')
    const { stream } = store.keys.topic('odd')
    await backend.client.xadd(stream, '*', 'data', '')
    await backend.client.xadd(stream, '*', 'data', '', 'raw', '1')
    await backend.client.xadd(stream, '*', 'raw', '1', 'data', 'x')
    await backend.client.xadd(stream, '*', 'k', '')
    const entries = await backend.client.xrangeBuffer(stream, '-', '+')
    const expected = Buffer.concat(entries.map(([, fields]) => render(fields)))
    t.equal((await store.statTopic('odd'))?.size, expected.length)
    t.ok((await readAll(store, 'odd')).equals(expected))
  })
}
