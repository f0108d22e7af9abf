import fc from 'fast-check'
import t from 'tap'
import { render } from '../../../../../src/framing/entry'
import { RespReader } from '../../../../../src/redis/resp-reader'
import { PageRenderer, RenderedPage } from '../../../../../src/topics/redis/pages/page-renderer'

type Entry = [id: string, fields: Buffer[]]

const bulk = (value: Buffer | string): Buffer => {
  const bytes = Buffer.from(value)
  return Buffer.concat([Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n')])
}
const array = (items: Buffer[]): Buffer => Buffer.concat([Buffer.from(`*${items.length}\r\n`), ...items])

/** The EXEC reply of a ranged page request: [HMGET uid gen, XRANGE, ZREVRANGEBYSCORE]. */
function execReply (uid: string | null, gen: string | null, entries: Entry[], next: [string, number] | undefined): Buffer {
  const nil = Buffer.from('$-1\r\n')
  return array([
    array([uid === null ? nil : bulk(uid), gen === null ? nil : bulk(gen)]),
    array(entries.map(([id, fields]) => array([bulk(id), array(fields.map(bulk))]))),
    array(next ? [bulk(next[0]), bulk(String(next[1]))] : [])
  ])
}

function renderReply (bytes: Buffer, cuts: number[]): RenderedPage {
  let page: RenderedPage | undefined
  const reader = new RespReader(() => new PageRenderer(16, rendered => { page = rendered }))
  let at = 0
  for (const cut of [...cuts.filter(c => c > 0 && c < bytes.length)].sort((a, b) => a - b).concat(bytes.length)) {
    if (cut > at) reader.feed(bytes.subarray(at, cut))
    at = Math.max(at, cut)
  }
  if (!page) throw new Error('the reply did not complete')
  return page
}

const name = fc.constantFrom('data', 'raw', 'level', 'msg', 'd', 'dat')
const fieldsArb = fc.array(fc.tuple(name, fc.uint8Array({ maxLength: 90 })), { maxLength: 4 })
  .map(pairs => pairs.flatMap(([n, v]) => [Buffer.from(n), Buffer.from(v)]))
const entriesArb = fc.array(fieldsArb, { maxLength: 40 })
  .map(all => all.map((fields, i): Entry => [`17000000000${i}-${i % 3}`, fields]))

t.test('entries of every shape render as src/framing/entry.ts renders them, however the reply is cut', async () => {
  fc.assert(fc.property(entriesArb, fc.array(fc.nat(4000), { maxLength: 40 }), (entries, cuts) => {
    const page = renderReply(execReply('u1', '3', entries, ['17-5', 123456]), cuts)
    const expected = Buffer.concat(entries.map(([, fields]) => render(fields)))
    return page.data.equals(expected) && page.count === entries.length &&
      page.lastId === (entries.length > 0 ? entries[entries.length - 1]![0] : '') &&
      page.uid === 'u1' && page.gen === '3' && page.next?.id === '17-5' && page.next.pos === 123456 &&
      page.errors.length === 0
  }), { numRuns: 400 })
})

t.test('dnpipes lines take the short path and still render byte for byte', async t => {
  const entries: Entry[] = Array.from({ length: 5000 }, (_, i) => [`1-${i}`, [Buffer.from('data'), Buffer.from(`line ${i} ${'x'.repeat(i % 200)}`)]])
  const page = renderReply(execReply('u', '0', entries, undefined), [7, 100, 70000])
  t.ok(page.data.equals(Buffer.concat(entries.map(([, fields]) => render(fields)))))
  t.equal(page.next, undefined, 'no index point: no next end')
})

t.test('a removed topic and errors inside the transaction are reported, not rendered', async t => {
  const gone = renderReply(execReply(null, null, [], undefined), [])
  t.equal(gone.uid, undefined)
  t.equal(gone.count, 0)
  const moved = renderReply(Buffer.from('-EXECABORT Transaction discarded because of previous errors.\r\n'), [])
  t.match(moved.errors, [/EXECABORT/])
  const wrongType = renderReply(Buffer.from('*3\r\n*2\r\n$1\r\nu\r\n$1\r\n0\r\n-WRONGTYPE Operation against a key\r\n*0\r\n'), [5])
  t.match(wrongType.errors, [/WRONGTYPE/])
})
