import fc from 'fast-check'
import t from 'tap'
import { createFramer, LineFramer, WriteFramer } from '../../../src/framing/framer'
import { Framing, Message } from '../../../src/framing/message'

const text = (messages: Message[]): string[] => messages.map(m => m.payload.toString() + (m.verbatim ? '' : '\\n'))

/** What a reader of the topic would get back. */
function rendered (messages: Message[]): Buffer {
  return Buffer.concat(messages.flatMap(m => m.verbatim ? [m.payload] : [m.payload, Buffer.from('\n')]))
}

t.test('line framing: one message per complete line, without its newline', async t => {
  const framer = new LineFramer()
  t.same(text(framer.push(Buffer.from('hello\nworld\n'))), ['hello\\n', 'world\\n'])
  t.equal(framer.pendingBytes, 0)
  t.equal(framer.takeRemainder(), undefined)
})

t.test('line framing: a partial line waits for its newline across writes', async t => {
  const framer = new LineFramer()
  t.same(text(framer.push(Buffer.from('hel'))), [])
  t.equal(framer.pendingBytes, 3)
  t.same(text(framer.push(Buffer.from('lo\nwor'))), ['hello\\n'])
  t.same(text(framer.push(Buffer.from('ld'))), [])
  const last = framer.takeRemainder()
  t.same(last && text([last]), ['world'], 'the last line without a newline stays verbatim')
  t.equal(framer.pendingBytes, 0)
})

t.test('line framing: empty lines are messages too', async t => {
  t.same(text(new LineFramer().push(Buffer.from('\n\na\n'))), ['\\n', '\\n', 'a\\n'])
})

t.test('line framing: a line longer than a message is split into verbatim fragments', async t => {
  const framer = new LineFramer(4)
  const out = framer.push(Buffer.from('abcdefghij\nxy'))
  t.same(text(out), ['abcd', 'efgh', 'ij\\n'])
  t.same(text(framer.push(Buffer.from('zuvw'))), ['xyzu'])
  t.equal(framer.pendingBytes, 2)
  t.same(text([framer.takeRemainder()!]), ['vw'])
})

t.test('line framing: a line of exactly the maximum stays one message', async t => {
  t.same(text(new LineFramer(4).push(Buffer.from('abcd\n'))), ['abcd\\n'])
})

t.test('line framing: save and restore undo a push whose messages could not be stored', async t => {
  const framer = new LineFramer()
  framer.push(Buffer.from('par'))
  const before = framer.save()
  framer.push(Buffer.from('tial\nnext'))
  framer.restore(before)
  t.equal(framer.pendingBytes, 3)
  t.same(text(framer.push(Buffer.from('t\n'))), ['part\\n'])
})

t.test('write framing: each write is one verbatim message', async t => {
  const framer = createFramer('write', 4)
  t.same(text(framer.push(Buffer.from('ab\ncd'))), ['ab\ncd'.slice(0, 4), 'd'])
  t.same(text(framer.push(Buffer.from('xy'))), ['xy'])
  t.equal(framer.takeRemainder(), undefined)
  t.ok(framer instanceof WriteFramer)
})

t.test('property: any bytes cut into any writes read back identically, in the right messages', async t => {
  fc.assert(fc.property(
    fc.uint8Array({ maxLength: 600 }).map(bytes => Buffer.from(bytes.map(b => b % 7 === 0 ? 10 : b))),
    fc.array(fc.integer({ min: 1, max: 80 }), { minLength: 1, maxLength: 40 }),
    fc.constantFrom<Framing>('line', 'write'),
    fc.integer({ min: 1, max: 64 }),
    (input, cuts, framing, maxMessageBytes) => {
      const framer = createFramer(framing, maxMessageBytes)
      const messages: Message[] = []
      let offset = 0
      for (let i = 0; offset < input.length; i++) {
        const size = cuts[i % cuts.length]!
        messages.push(...framer.push(input.subarray(offset, offset + size)))
        offset += size
      }
      const last = framer.takeRemainder()
      if (last) messages.push(last)
      if (!rendered(messages).equals(input)) return false
      if (messages.some(m => m.payload.length > maxMessageBytes || m.payload.length === 0 && m.verbatim)) return false
      // Line framing: a line message never holds a newline, and only verbatim pieces lack one.
      if (framing === 'line' && messages.some(m => m.payload.includes(10))) return false
      return true
    }
  ), { numRuns: 2000 })
  t.pass('2000 generated cases')
})
