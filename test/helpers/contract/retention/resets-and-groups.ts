import { Test } from 'tap'
import type { GroupPolicy } from '../../../../src/topics/types'
import { lines, readAll } from '../../topic-io'
import type { EngineBackend } from '../backend'
import { retainingEngines } from './model'

/** Retention with the rest: a reset keeps the limits, retain's errors, and groups past trimmed messages. */
export function retentionResetsAndGroups (t: Test, backend: EngineBackend): void {
  const fresh = retainingEngines(backend)

  t.test('retention: a reset keeps the limits; retain answers ENOENT and EISDIR', async t => {
    const engine = fresh()
    const { uid } = await engine.create('z')
    await engine.retain('z', { messages: 2, seconds: 3600 })
    await engine.append('z', uid, lines('1', '2', '3'))
    await engine.reset('z')
    t.same((await engine.statTopic('z'))?.retention, { messages: 2, seconds: 3600 })
    await engine.append('z', uid, lines('4', '5', '6'))
    t.equal((await readAll(engine, 'z')).toString(), '5\n6\n')
    await t.rejects(engine.retain('nothing', { messages: 1 }), { code: 'ENOENT' })
    await engine.mkdir('dir')
    await t.rejects(engine.retain('dir', { messages: 1 }), { code: 'EISDIR' })
  })

  t.test('retention: a group skips pending messages trimmed away', async t => {
    const engine = fresh()
    const { uid } = await engine.create('q')
    await engine.append('q', uid, lines('a', 'b', 'c'))
    const atOnce: GroupPolicy = { visibilityMs: 0, maxDeliveries: 5 }
    const claimed = await engine.claim('q', 'g', 'one', atOnce)
    t.equal(claimed?.kind === 'message' && claimed.data.toString(), 'a\n')
    await engine.retain('q', { messages: 1 })
    const next = await engine.claim('q', 'g', 'two', atOnce)
    t.equal(next?.kind === 'message' && next.data.toString(), 'c\n', 'a and b are gone')
    t.equal((await engine.groups('q'))?.[0]?.pending, 1, 'only c is pending')
  })
}
