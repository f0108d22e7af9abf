import { randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import tmp from 'tmp'
import { mountFor, redisFor } from '../helpers/fixture'
import { sh } from '../../scripts/support/processes'

// Bytes round-trip; concurrent writers; what other Redis clients see.

const scratch = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-data-' })
t.teardown(() => scratch.removeCallback())

async function sample (name: string, data: Buffer): Promise<string> {
  const file = path.join(scratch.name, name)
  await fs.writeFile(file, data)
  return file
}

t.test('everything written reads back byte for byte, in either framing', async t => {
  const server = await redisFor(t)
  for (const framing of ['line', 'write']) {
    const { dir } = await mountFor(t, server, { args: ['--framing', framing, '--prefix', `${framing}:`] })
    const cases: Array<[string, Buffer]> = [
      ['binary', randomBytes(1_000_000)],
      ['nul-bytes', Buffer.from('a\0b\0\n\0\0\nc')],
      ['invalid-utf8', Buffer.from([0xff, 0xfe, 0x0a, 0xc3, 0x28, 0x0a])],
      ['no-final-newline', Buffer.from('one\ntwo\nthree')],
      ['three-mb-line', Buffer.concat([Buffer.from(randomBytes(1_500_000).toString('hex')), Buffer.from('\n')])],
      ['empty-lines', Buffer.from('\n\n\nx\n\n')]
    ]
    for (const [name, data] of cases) {
      const source = await sample(`${framing}-${name}`, data)
      await sh(`cat ${source} > ${dir}/${name}`)
      const back = await sh(`cat ${dir}/${name}`)
      t.ok(back.stdout.equals(data), `${framing}: ${name} (${data.length} bytes)`)
      t.equal((await sh(`stat -c %s ${dir}/${name}`)).stdout.toString(), `${data.length}\n`, `${framing}: ${name} size`)
    }
  }
})

t.test('line framing: one entry per line, payload without its newline; write framing: one per write', async t => {
  const server = await redisFor(t)
  const redis = server.client()
  const lines = await mountFor(t, server)
  await sh(`printf 'alpha\\nbeta\\ngam' > ${lines.dir}/events; printf 'ma\\n' >> ${lines.dir}/events`)
  const entries = await redis.xrange('dnpipes:{events}', '-', '+')
  t.same(entries.map(([, fields]) => fields), [['data', 'alpha'], ['data', 'beta'], ['data', 'gam', 'raw', '1'], ['data', 'ma']],
    'a partial line is pushed verbatim at close; the next open starts a new message')
  const writes = await mountFor(t, server, { args: ['--framing', 'write'] })
  await sh(`printf 'rec1' >> ${writes.dir}/records; printf 'rec2\\nrec3' >> ${writes.dir}/records`)
  const records = await redis.xrange('dnpipes:{records}', '-', '+')
  t.same(records.map(([, fields]) => fields[1]), ['rec1', 'rec2\nrec3'])
})

t.test('8 writers on two mounts: every line whole, each writer in order', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server)
  const b = await mountFor(t, server)
  const writers = 8
  const perWriter = 2000
  const jobs = Array.from({ length: writers }, (_, w) => {
    const dir = w % 2 === 0 ? a.dir : b.dir
    // Long lines, written in pieces by awk's buffered output, so lines cross write boundaries.
    return sh(`awk 'BEGIN { for (i = 0; i < ${perWriter}; i++) printf "writer-${w} %06d %s\\n", i, sprintf("%0200d", i) }' >> ${dir}/log`)
  })
  const results = await Promise.all(jobs)
  t.same(results.map(r => r.code), Array(writers).fill(0))
  const all = (await sh(`cat ${a.dir}/log`)).stdout.toString().split('\n')
  t.equal(all.pop(), '')
  t.equal(all.length, writers * perWriter)
  const next = new Array(writers).fill(0)
  let bad = 0
  for (const line of all) {
    const match = /^writer-(\d) (\d{6}) (\d{200})$/.exec(line)
    if (!match || Number(match[2]) !== next[Number(match[1])] || Number(match[3]) !== Number(match[2])) bad++
    else next[Number(match[1])]++
  }
  t.equal(bad, 0, 'no torn, interleaved or reordered line')
  t.same(next, Array(writers).fill(perWriter))
  const entries = await server.client().xlen('dnpipes:{log}')
  t.equal(entries, writers * perWriter, 'one stream entry per line')
})

t.test('other Redis clients: XREAD sees the lines; XADD shows in cat and stat', async t => {
  const server = await redisFor(t)
  const redis = server.client()
  const { dir } = await mountFor(t, server)
  await sh(`echo job-1 >> ${dir}/jobs; echo job-2 >> ${dir}/jobs`)
  const read = await redis.xread('STREAMS', 'dnpipes:{jobs}', '0')
  t.same(read?.[0]?.[1].map(([, fields]) => fields), [['data', 'job-1'], ['data', 'job-2']])
  await redis.xadd('dnpipes:{jobs}', '*', 'data', 'job-3')
  await redis.xadd('dnpipes:{jobs}', '*', 'source', 'billing', 'amount', '12')
  t.equal((await sh(`cat ${dir}/jobs`)).stdout.toString(), 'job-1\njob-2\njob-3\nsource=billing amount=12\n')
  t.equal((await sh(`stat -c %s ${dir}/jobs`)).stdout.toString(), '43\n')
  await sh(`echo job-4 >> ${dir}/jobs`)
  t.equal((await sh(`tail -n 2 ${dir}/jobs`)).stdout.toString(), 'source=billing amount=12\njob-4\n')

  // A writer that keeps its file open while another client appends: nothing in between
  // accounts the other entries (no stat, no read), so the append itself must.
  const writer = await fs.open(`${dir}/jobs`, 'a')
  await writer.write('long-1\n')
  await redis.xadd('dnpipes:{jobs}', '*', 'data', 'other')
  await writer.write('long-2\n')
  await redis.xadd('dnpipes:{jobs}', 'MAXLEN', '7', '*', 'data', 'capped')
  await writer.write('long-3\n')
  await writer.close()
  t.equal((await sh(`tail -n 5 ${dir}/jobs`)).stdout.toString(), 'long-1\nother\nlong-2\ncapped\nlong-3\n')
  t.equal((await sh(`wc -l < ${dir}/jobs`)).stdout.toString().trim(), '8', 'the capped producer trimmed the oldest entry')
})
