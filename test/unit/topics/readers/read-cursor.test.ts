import t from 'tap'
import { render } from '../../../../src/framing/entry'
import { ReadCursor, topicCursor } from '../../../../src/topics/readers/read-cursor'
import type { Message } from '../../../../src/framing/message'
import { MemoryEngine } from '../../../../src/topics/memory/memory-engine'
import type { ReadPage, ReadRequest } from '../../../../src/topics/types'

/** An in-memory topic answering page requests the way the read script does. */
class MemoryTopic {
  entries: Array<[string, Buffer[]]> = []
  gen = '0'
  requests: ReadRequest[] = []
  private seq = 0

  push (line: string): void {
    this.entries.push([`1-${this.seq++}`, [Buffer.from('data'), Buffer.from(line)]])
  }

  reset (): void {
    this.entries = []
    this.gen = String(Number(this.gen) + 1)
  }

  bytes (): Buffer {
    return Buffer.concat(this.entries.map(([, fields]) => render(fields)))
  }

  fetch = async (request: ReadRequest): Promise<ReadPage> => {
    this.requests.push(request)
    const out: Buffer[] = []
    let pos = 0
    let first: number | undefined
    let lastId = ''
    let taken = 0
    for (const [id, fields] of this.entries) {
      const rendered = render(fields)
      if (pos + rendered.length > request.offset && taken < request.maxBytes) {
        first ??= pos
        out.push(rendered)
        lastId = id
        taken += rendered.length
      }
      pos += rendered.length
    }
    return { uid: 'memory', gen: this.gen, base: 0, firstPos: first ?? pos, lastId, data: Buffer.concat(out), count: out.length }
  }
}

t.test('reads at any offset and length return the same bytes as the whole rendering', async t => {
  const topic = new MemoryTopic()
  for (let i = 0; i < 200; i++) topic.push(`line ${i} ${'x'.repeat(i % 17)}`)
  const all = topic.bytes()
  for (const [offset, length] of [[0, 10], [5, 1000], [all.length - 3, 10], [all.length, 10], [all.length + 5, 10], [123, 1]]) {
    const cursor = new ReadCursor(topic.fetch, 64)
    const got = await cursor.read(offset!, length!)
    t.ok(got.equals(all.subarray(offset!, offset! + length!)), `offset ${offset} length ${length}`)
  }
})

t.test('a sequential reader continues after its last entry instead of seeking again', async t => {
  const topic = new MemoryTopic()
  for (let i = 0; i < 100; i++) topic.push(`message number ${i}`)
  const all = topic.bytes()
  const cursor = new ReadCursor(topic.fetch, 200)
  const parts: Buffer[] = []
  for (let offset = 0; ; offset += 50) {
    const chunk = await cursor.read(offset, 50)
    if (chunk.length === 0) break
    parts.push(chunk)
  }
  t.ok(Buffer.concat(parts).equals(all))
  const continued = topic.requests.filter(r => r.afterId !== '')
  t.ok(continued.length >= topic.requests.length - 2, 'every page after the first continues from the last entry')
  t.ok(topic.requests.length <= Math.ceil(all.length / 200) + 2, `${topic.requests.length} round trips for ${all.length} bytes`)
})

t.test('new messages appear at the end on the next read', async t => {
  const topic = new MemoryTopic()
  topic.push('a')
  const cursor = new ReadCursor(topic.fetch)
  t.equal((await cursor.read(0, 100)).toString(), 'a\n')
  t.equal((await cursor.read(2, 100)).length, 0)
  topic.push('b')
  t.equal((await cursor.read(2, 100)).toString(), 'b\n')
})

t.test('after a reset the cursor forgets its position and reads the new content', async t => {
  const topic = new MemoryTopic()
  topic.push('old line')
  const cursor = new ReadCursor(topic.fetch)
  t.equal((await cursor.read(0, 100)).toString(), 'old line\n')
  topic.reset()
  topic.push('new')
  const before = topic.requests.length
  t.equal((await cursor.read(0, 100)).toString(), 'new\n')
  const first = topic.requests[before]!
  t.same([first.gen, first.offset], ['0', 0], 'the read went to the store with the old generation, which makes it seek afresh')
})

t.test('a removed topic reads as end of file', async t => {
  const cursor = new ReadCursor(async () => undefined)
  t.equal((await cursor.read(0, 10)).length, 0)
})

const line = (text: string): Message => ({ payload: Buffer.from(text), verbatim: false })

t.test('topicCursor reads the topic where it is now, and a topic created in its place as ended', async t => {
  const engine = new MemoryEngine()
  const { uid } = await engine.create('a')
  await engine.append('a', uid, [line('one')])
  const target = { path: 'a', uid }
  const counts: number[] = []
  const cursor = topicCursor(engine, target, count => counts.push(count))
  t.equal((await cursor.read(0, 100)).toString(), 'one\n')
  t.equal(counts.reduce((sum, count) => sum + count, 0), 1, 'told of the one message read')
  await engine.rename('a', 'b')
  target.path = 'b'
  await engine.append('b', uid, [line('two')])
  t.equal((await cursor.read(4, 100)).toString(), 'two\n', 'the target moved with the rename')
  await engine.remove('b')
  const again = await engine.create('b')
  await engine.append('b', again.uid, [line('other')])
  t.equal((await topicCursor(engine, target).read(0, 100)).length, 0, 'another topic at that path is not this file')
})
