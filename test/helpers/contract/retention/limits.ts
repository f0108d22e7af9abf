import { Test } from 'tap'
import { sleep } from '../../../../src/util/deadline'
import { lines, messagesOf, readAll } from '../../topic-io'
import type { EngineBackend } from '../backend'
import { numbered, rendered, retainingEngines } from './model'

/** Retention, the limits: messages, bytes, age, combined and lifted, and the mount's default. */
export function retentionLimits (t: Test, backend: EngineBackend): void {
  const fresh = retainingEngines(backend)

  t.test('retention: a message limit keeps the newest messages; stat, a full read and a follower agree', async t => {
    const engine = fresh()
    const { uid } = await engine.create('jobs')
    await engine.append('jobs', uid, lines(...numbered(0, 10)))
    await engine.retain('jobs', { messages: 3 })
    const stat = await engine.statTopic('jobs')
    t.same(stat?.retention, { messages: 3 })
    t.equal(stat?.entries, 3)
    t.equal(stat?.size, rendered(numbered(7, 10)).length)
    t.equal((await readAll(engine, 'jobs')).toString(), rendered(numbered(7, 10)))
    t.same(await messagesOf(engine, 'jobs'), numbered(7, 10).map(x => x + '\n'))
    for (let i = 10; i < 40; i++) await engine.append('jobs', uid, lines(`m${i}`))
    t.equal((await readAll(engine, 'jobs')).toString(), rendered(numbered(37, 40)), 'each append trims')
    t.equal((await engine.statTopic('jobs'))?.size, rendered(numbered(37, 40)).length)
  })

  t.test('retention: a bytes limit deletes whole messages, oldest first, and never the newest', async t => {
    const engine = fresh()
    const { uid } = await engine.create('b')
    await engine.retain('b', { bytes: 20 })
    await engine.append('b', uid, lines('aaaa', 'bbbb', 'cccc', 'dddd', 'eeee', 'ffff')) // 5 bytes each
    t.equal((await readAll(engine, 'b')).toString(), 'cccc\ndddd\neeee\nffff\n', 'the most that fits in 20 bytes')
    await engine.append('b', uid, lines('g'.repeat(50)))
    t.equal((await readAll(engine, 'b')).toString(), 'g'.repeat(50) + '\n', 'a message larger than the limit stays alone')
    t.equal((await engine.statTopic('b'))?.size, 51)
  })

  t.test('retention: an age limit trims at appends and, for an idle topic, at a stat', async t => {
    const engine = fresh()
    const { uid } = await engine.create('aged')
    await engine.retain('aged', { seconds: 1 })
    await engine.append('aged', uid, lines('old'))
    await sleep(1100)
    await engine.append('aged', uid, lines('new'))
    t.equal((await readAll(engine, 'aged')).toString(), 'new\n')
    await sleep(1100)
    const stat = await engine.statTopic('aged')
    t.equal(stat?.entries, 0, 'the idle topic shrank')
    t.equal(stat?.size, 0)
    t.equal((await readAll(engine, 'aged')).length, 0)
    await engine.append('aged', uid, lines('later'))
    t.equal((await readAll(engine, 'aged')).toString(), 'later\n', 'appends go on')
  })

  t.test('retention: combined limits, the strictest wins; lifting one keeps the others; lifting all keeps everything', async t => {
    const engine = fresh()
    const { uid } = await engine.create('c')
    await engine.retain('c', { messages: 5, bytes: 12 })
    await engine.append('c', uid, lines(...numbered(0, 8)))
    t.equal((await readAll(engine, 'c')).toString(), rendered(numbered(4, 8)).slice(-12), 'bytes is the stricter: 4 messages of 3 bytes')
    await engine.retain('c', { bytes: null })
    t.same((await engine.statTopic('c'))?.retention, { messages: 5 })
    await engine.append('c', uid, lines(...numbered(8, 12)))
    t.equal((await readAll(engine, 'c')).toString(), rendered(numbered(7, 12)))
    await engine.retain('c', { messages: null })
    t.same((await engine.statTopic('c'))?.retention, {})
    await engine.append('c', uid, lines(...numbered(12, 30)))
    t.equal((await engine.statTopic('c'))?.entries, 5 + 18, 'without a limit a message stays')
  })

  t.test('retention: the default applies to topics without limits of their own, and only to them', async t => {
    const engine = fresh({ messages: 2 })
    const plain = await engine.create('plain')
    const own = await engine.create('own')
    await engine.retain('own', { bytes: 1000 })
    await engine.append('plain', plain.uid, lines(...numbered(0, 6)))
    await engine.append('own', own.uid, lines(...numbered(0, 6)))
    t.equal((await readAll(engine, 'plain')).toString(), rendered(numbered(4, 6)))
    t.same((await engine.statTopic('plain'))?.retention, {}, 'the default is not stored with the topic')
    t.equal((await readAll(engine, 'own')).toString(), rendered(numbered(0, 6)))
  })
}
