import { Test } from 'tap'
import { RedisEngine } from '../../../../src/topics/redis/redis-engine'
import { lines, readAll } from '../../topic-io'
import type { RedisEngineBackend } from './backend'

/** Topics as streams: the payloads stored, the ids after a reset, a rename within a slot or across (EXDEV). */
export function redisTopics (t: Test, backend: RedisEngineBackend): void {
  const { freshStore } = backend

  t.test('create, append, stat and read back', async t => {
    const store = freshStore()
    const created = await store.create('jobs')
    t.equal(created.size, 0)
    await store.append('jobs', created.uid, lines('hello', 'more'))
    const stat = await store.statTopic('jobs')
    t.equal(stat?.size, 'hello\nmore\n'.length)
    t.equal(stat?.entries, 2)
    t.ok(stat!.mtimeMs >= created.ctimeMs)
    t.equal((await readAll(store, 'jobs')).toString(), 'hello\nmore\n')
    const entries = await backend.client.xrange(store.keys.topic('jobs').stream, '-', '+')
    t.same(entries.map(([, fields]) => fields), [['data', 'hello'], ['data', 'more']], 'payloads are the lines without newline')
  })

  t.test('reset empties the topic; appends go on; ids keep growing', async t => {
    const store = freshStore()
    const { uid, gen } = await store.create('r')
    await store.append('r', uid, lines('a', 'b'))
    const before = await store.statTopic('r')
    await store.reset('r')
    const after = await store.statTopic('r')
    t.equal(after?.size, 0)
    t.not(after?.gen, gen)
    t.equal(after?.uid, uid, 'a reset is not a removal')
    await store.append('r', uid, lines('c'))
    t.equal((await readAll(store, 'r')).toString(), 'c\n')
    const [entry] = await backend.client.xrange(store.keys.topic('r').stream, '-', '+')
    t.ok(entry![0] > before!.lastId, 'new ids follow the old ones')
    await t.rejects(store.reset('none'), { message: /ENOENT/ })
  })

  t.test('rename moves a topic with its messages, replacing a topic at the target', async t => {
    const store = freshStore()
    const { uid } = await store.create('from')
    await store.append('from', uid, lines('kept'))
    await store.create('to')
    await store.mkdir('dir')
    if (backend.cluster) {
      // The keys of two paths live in different slots: no atomic move, so mv copies.
      await t.rejects(store.rename('from', 'to'), { code: 'EXDEV' })
      await t.rejects(store.rename('dir', 'elsewhere'), { code: 'EXDEV' })
      t.equal((await readAll(store, 'from')).toString(), 'kept\n', 'untouched')
      return
    }
    await store.rename('from', 'to')
    t.equal(await store.stat('from'), undefined)
    t.equal((await readAll(store, 'to')).toString(), 'kept\n')
    await store.append('to', uid, lines('same identity'))
    await store.rename('to', 'dir/moved')
    t.same((await store.list('dir')).map(e => e.name), ['moved'])
    t.same((await store.list('')).map(e => e.name), ['dir'])
    await t.rejects(store.rename('dir/moved', 'dir'), { code: 'EISDIR' })
    await t.rejects(store.rename('dir', 'elsewhere'), { code: 'EXDEV' })
    await store.create('t2')
    await t.rejects(store.rename('dir', 't2'), { code: 'ENOTDIR' })
    await t.rejects(store.rename('missing', 'x'), { code: 'ENOENT' })
    const cluster = new RedisEngine(backend.client, { prefix: store.keys.prefix, cluster: true })
    await t.rejects(cluster.rename('t2', 't3'), { code: 'EXDEV' })
  })
}
