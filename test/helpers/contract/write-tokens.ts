import { Test } from 'tap'
import type { Message } from '../../../src/framing/message'
import type { TopicEngine, WriteToken } from '../../../src/topics/engine'
import { FROM_FIRST } from '../../../src/topics/readers/follow-cursor'
import type { EngineBackend } from './backend'

const line = (text: string): Message[] => [{ payload: Buffer.from(text), verbatim: false }]
/** The topic's messages, rendered. */
async function messagesOf (engine: TopicEngine, path: string): Promise<string[]> {
  const page = await engine.readAfter(path, FROM_FIRST, 1 << 20)
  return page ? page.data.toString().split(/(?<=\n)/).filter(text => text !== '') : []
}

const token = (writer: string, request: number, again = false): WriteToken => ({ writer, request: String(request), again })

/**
 * Appends with a token (TopicEngine.append): a write tried again after a server died is applied
 * once, whether or not its first try reached the engine. A concern of the engine contract.
 */
export function writeTokens (t: Test, backend: EngineBackend): void {
  const fresh = backend.freshStore

  t.test('an append tried again with its token is applied once, and answers the size as it is', async t => {
    const store = fresh()
    const { uid } = await store.create('w')
    t.equal(await store.append('w', uid, line('one'), undefined, token('m1', 7)), 4)
    t.equal(await store.append('w', uid, line('one'), undefined, token('m1', 7, true)), 4, 'tried again: nothing applied')
    t.equal(await store.append('w', uid, line('two'), undefined, token('m1', 8)), 8)
    t.equal(await store.append('w', uid, line('one'), undefined, token('m1', 7, true)), 8, 'still not, after a later write')
    t.same(await messagesOf(store, 'w'), ['one\n', 'two\n'])
  })

  t.test('tokens are per writer and per request; an append without one is always applied', async t => {
    const store = fresh()
    const { uid } = await store.create('w')
    await store.append('w', uid, line('a'), undefined, token('m1', 1))
    await store.append('w', uid, line('b'), undefined, token('m2', 1))
    await store.append('w', uid, line('c'), undefined, token('m1', 2, true))
    await store.append('w', uid, line('d'))
    await store.append('w', uid, line('d'))
    t.same(await messagesOf(store, 'w'), ['a\n', 'b\n', 'c\n', 'd\n', 'd\n'])
  })

  t.test('a writer\'s last 64 requests are kept: one older than those would be applied again', async t => {
    const store = fresh()
    const { uid } = await store.create('w')
    for (let request = 1; request <= 65; request++) await store.append('w', uid, line(String(request)), undefined, token('m', request))
    await store.append('w', uid, line('2 again'), undefined, token('m', 2, true))
    await store.append('w', uid, line('1 again'), undefined, token('m', 1, true))
    const messages = await messagesOf(store, 'w')
    t.equal(messages.length, 66)
    t.equal(messages.at(-1), '1 again\n', 'the 65th request pushed the first out')
  })

  t.test('a large payload and a delayed append are applied once too', async t => {
    const store = fresh()
    const { uid } = await store.create('w')
    const large = Buffer.alloc(20 * 1024, 'x')
    await store.append('w', uid, [{ payload: large, verbatim: false }], undefined, token('m', 1))
    await store.append('w', uid, [{ payload: large, verbatim: false }], undefined, token('m', 1, true))
    t.equal((await store.statTopic('w'))?.entries, 1)
    await store.append('w', uid, line('later'), 60_000, token('m', 2))
    await store.append('w', uid, line('later'), 60_000, token('m', 2, true))
    t.equal((await store.statTopic('w'))?.scheduled, 1, 'scheduled once')
  })
}
