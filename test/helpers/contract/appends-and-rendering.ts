import { Test } from 'tap'
import { render } from '../../../src/framing/entry'
import type { Message } from '../../../src/framing/message'
import { lines, readAll } from '../topic-io'
import type { EngineBackend } from './backend'

/** Appends, and the bytes they read back as: stat, rendering, verbatim and binary payloads. */
export function appendsAndRendering (t: Test, backend: EngineBackend): void {
  const { freshStore } = backend

  t.test('create, append, stat and read back through the engine', async t => {
    const store = freshStore()
    const created = await store.create('jobs')
    t.same([created.kind, created.size, created.entries, created.lastId], ['topic', 0, 0, '0-0'])
    t.equal(await store.append('jobs', created.uid, lines('hello', 'more')), 'hello\nmore\n'.length, 'append returns the new size')
    const stat = await store.statTopic('jobs')
    t.equal(stat?.size, 'hello\nmore\n'.length)
    t.equal(stat?.entries, 2)
    t.equal(stat?.uid, created.uid)
    t.equal(stat?.gen, created.gen, 'appends do not change the generation')
    t.ok(stat!.mtimeMs >= created.ctimeMs)
    t.same(await store.stat('jobs'), stat, 'stat and statTopic agree')
    t.equal((await readAll(store, 'jobs')).toString(), 'hello\nmore\n')
    t.equal(await store.append('jobs', created.uid, []), 0, 'appending nothing does nothing')
    t.equal((await store.statTopic('jobs'))?.entries, 2)
  })

  t.test('verbatim messages and binary payloads', async t => {
    const store = freshStore()
    const { uid } = await store.create('bin')
    const payload = Buffer.from([0, 1, 2, 255, 10, 0x80, 0])
    await store.append('bin', uid, [{ payload, verbatim: true }, { payload: Buffer.from('tail'), verbatim: true }])
    const all = await readAll(store, 'bin')
    t.ok(all.equals(Buffer.concat([payload, Buffer.from('tail')])))
    t.equal((await store.statTopic('bin'))?.size, all.length)
  })

  t.test('stored messages render as src/framing/entry.ts renders their fields', async t => {
    const store = freshStore()
    const { uid } = await store.create('mix')
    const messages: Message[] = [
      { payload: Buffer.from('line'), verbatim: false },
      { payload: Buffer.alloc(0), verbatim: false },
      { payload: Buffer.alloc(0), verbatim: true },
      { payload: Buffer.from([0xff, 0xfe, 0x0a]), verbatim: true },
      { payload: Buffer.from('a\nb'), verbatim: false }
    ]
    await store.append('mix', uid, messages)
    const expected = Buffer.concat(messages.map(m => render([Buffer.from('data'), m.payload, ...(m.verbatim ? [Buffer.from('raw'), Buffer.from('1')] : [])])))
    t.ok((await readAll(store, 'mix')).equals(expected))
    t.equal((await store.statTopic('mix'))?.size, expected.length)
    t.equal((await store.statTopic('mix'))?.entries, messages.length)
  })

  t.test('the caller may reuse its buffers once an append returned', async t => {
    const store = freshStore()
    const { uid } = await store.create('c')
    const payload = Buffer.from('original')
    await store.append('c', uid, [{ payload, verbatim: false }])
    payload.fill('x')
    t.equal((await readAll(store, 'c')).toString(), 'original\n')
  })
}
