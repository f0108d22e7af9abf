import t from 'tap'
import { messageFields, render, renderedLength } from '../../../src/framing/entry'

const b = (...parts: string[]): Buffer[] => parts.map(p => Buffer.from(p))

t.test('a line entry renders as its payload and a newline', async t => {
  const fields = b('data', 'hello')
  t.equal(render(fields).toString(), 'hello\n')
  t.equal(renderedLength(fields), 6)
})

t.test('a verbatim entry renders as its payload alone', async t => {
  const fields = b('data', 'tail', 'raw', '1')
  t.equal(render(fields).toString(), 'tail')
  t.equal(renderedLength(fields), 4)
})

t.test('other fields beside data are ignored', async t => {
  const fields = b('source', 'svc', 'data', 'x')
  t.equal(render(fields).toString(), 'x\n')
  t.equal(renderedLength(fields), 2)
})

t.test('an entry without data renders as one readable line of field=value pairs', async t => {
  const fields = b('level', 'info', 'msg', 'started')
  t.equal(render(fields).toString(), 'level=info msg=started\n')
  t.equal(renderedLength(fields), render(fields).length)
})

t.test('messageFields stores lines plainly and marks verbatim chunks', async t => {
  t.same(messageFields({ payload: Buffer.from('a'), verbatim: false }).map(String), ['data', 'a'])
  t.same(messageFields({ payload: Buffer.from('a'), verbatim: true }).map(String), ['data', 'a', 'raw', '1'])
})

t.test('binary payloads render byte for byte', async t => {
  const payload = Buffer.from([0, 255, 10, 13, 0x80])
  const fields = [Buffer.from('data'), payload, Buffer.from('raw'), Buffer.from('1')]
  t.ok(render(fields).equals(payload))
  t.equal(renderedLength(fields), 5)
})
