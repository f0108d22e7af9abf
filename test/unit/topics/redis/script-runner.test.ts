import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import t from 'tap'
import { PAYLOAD_FIELD, render, renderedLength, VERBATIM_FIELD } from '../../../../src/framing/entry'
import { Message } from '../../../../src/framing/message'
import type { RedisClient } from '../../../../src/redis/connect'
import { RedisReplyError } from '../../../../src/redis/errors'
import { RawConnection } from '../../../../src/redis/raw-connection'
import { RespReader, ValueVisitor } from '../../../../src/redis/resp-reader'
import { TopicError } from '../../../../src/topics/errors'
import { PageRenderer, RenderedPage } from '../../../../src/topics/redis/pages/page-renderer'
import { ReadCursor } from '../../../../src/topics/readers/read-cursor'
import { LUA_DIR, SCRIPT_NAMES, ScriptRunner, scriptSource } from '../../../../src/topics/redis/script-runner'
import { RedisEngine } from '../../../../src/topics/redis/redis-engine'
import { redisPerFile } from '../../../helpers/fixture'
import { readAll } from '../../../helpers/topic-io'

const SOURCE_DIR = path.join(__dirname, '..', '..', '..', '..', '..', 'src', 'topics', 'redis', 'lua')

/** luac5.1's listing of `file` (parsed, not run); rejects with luac's message when it does not parse. */
function luac (file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('luac5.1', ['-p', '-l', file], { timeout: 10_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`luac5.1 ${file}: ${stderr.trim() || err.message}`))
      else resolve(stdout)
    })
  })
}

// The globals Redis gives a script; any other is a typo (Redis refuses the access at run time).
const REDIS_GLOBALS = new Set(['redis', 'KEYS', 'ARGV', 'tonumber', 'tostring', 'type', 'ipairs', 'pairs', 'next', 'select', 'unpack',
  'error', 'assert', 'pcall', 'table', 'string', 'math', 'cjson', 'bit', 'struct', 'cmsgpack'])

t.test('the .lua files are the scripts and their helpers, and each one parses as Lua 5.1', async t => {
  const files = readdirSync(SOURCE_DIR).filter(name => name.endsWith('.lua')).sort()
  t.same(files, ['helpers.lua', ...SCRIPT_NAMES.map(name => `${name}.lua`)].sort(), 'one file per script, and the helpers')
  t.same(readdirSync(LUA_DIR).filter(name => name.endsWith('.lua')).sort(), files, 'the build copied every one')
  for (const name of files) {
    t.ok(await luac(path.join(SOURCE_DIR, name)), `src/topics/redis/lua/${name} parses`)
    t.equal(readFileSync(path.join(LUA_DIR, name), 'utf8'), readFileSync(path.join(SOURCE_DIR, name), 'utf8'), `dist has the same ${name}`)
  }
})

t.test('each assembled script parses, reads only the globals Redis gives, and sets none', async t => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dnpipes-lua-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const name of SCRIPT_NAMES) {
    const file = path.join(dir, `${name}.lua`)
    const source = scriptSource(name)
    t.match(source, new RegExp(`^local PAYLOAD_FIELD = "${PAYLOAD_FIELD}"\nlocal VERBATIM_FIELD = "${VERBATIM_FIELD}"\n`), `${name}: the field names come first`)
    writeFileSync(file, source)
    const listing = await luac(file)
    const globals = [...listing.matchAll(/\b(GET|SET)GLOBAL\b.*; (\S+)$/gm)].map(([, op, global]) => `${op} ${global}`)
    t.ok(globals.length > 0, `${name}: the listing names its globals`)
    t.same([...new Set(globals)].filter(global => !(global.startsWith('GET ') && REDIS_GLOBALS.has(global.slice(4)))), [], `${name}: no other global`)
  }
  // The check can fail: a script that does not parse, and one with a stray global.
  const broken = path.join(dir, 'broken.lua')
  writeFileSync(broken, scriptSource('stat') + '\nlocal x = \n')
  await t.rejects(luac(broken), { message: /broken\.lua:\d+:.*near/ })
  writeFileSync(broken, scriptSource('stat').replace('local fresh, last', 'fresh, last'))
  t.match(await luac(broken), /SETGLOBAL.*; fresh$/m)
})

t.test('each script is defined with as many keys as its header names, and uses no more', async t => {
  const defined = new Map<string, { numberOfKeys: number, lua: string }>()
  const fake = { defineCommand: (name: string, definition: { numberOfKeys: number, lua: string }) => { defined.set(name, definition) } }
  const runner = new ScriptRunner(fake as unknown as RedisClient)
  t.equal(runner.redis, fake as unknown as RedisClient)
  t.same([...defined.keys()], SCRIPT_NAMES.map(name => `dnpipes_${name}`))
  for (const name of SCRIPT_NAMES) {
    const { numberOfKeys, lua } = defined.get(`dnpipes_${name}`)!
    t.equal(lua, scriptSource(name), `${name}: the assembled source`)
    const own = readFileSync(path.join(LUA_DIR, `${name}.lua`), 'utf8')
    const header = /^-- KEYS ([^.]+)\./.exec(own)
    t.ok(header, `${name}: the header names the keys`)
    t.equal(header![1]!.split(',').length, numberOfKeys, `${name}: ${numberOfKeys} keys (${header![1]})`)
    const used = [...lua.matchAll(/KEYS\[(\d+)\]/g)].map(match => Number(match[1]))
    t.equal(Math.max(...used), numberOfKeys, `${name}: uses KEYS[1..${numberOfKeys}]`)
  }
})

const fixture = redisPerFile()

t.test('the runner\'s failures come back typed', async t => {
  const runner = new ScriptRunner(fixture.admin)
  await t.rejects(runner.run('append', ['x:{a}', 'x:{a}:meta', 'x:{a}:idx', 'x:{a}:delayed', 'x:{a}:due'], ['no-uid', 65536, 'l', '', '', '', '', '', '', '', 'line']), { constructor: TopicError, code: 'ESTALE' })
  await t.rejects(runner.run('reset', ['x:{a}', 'x:{a}:meta', 'x:{a}:idx', 'x:{a}:delayed'], []), { constructor: TopicError, code: 'ENOENT' })
  await fixture.admin.set('x:string', 'v')
  await t.rejects(runner.command(redis => redis.xadd('x:string', '*', 'data', 'v')), { constructor: RedisReplyError, code: 'WRONGTYPE' })
  t.equal(await runner.run('create', ['x:{b}', 'x:{b}:meta'], ['uid-b', '', '', '']), 1)
  const stat = await runner.run('stat', ['x:{b}', 'x:{b}:meta', 'x:{b}:attrs', 'x:{b}:attrs', 'x:{b}:idx', 'x:{b}:delayed'], ['', '', '', '', 65536], 'buffer')
  t.ok(Buffer.isBuffer(stat) && stat.toString().split(' ')[1] === 'uid-b', 'buffer replies are Buffers')
  t.equal(await runner.command(redis => redis.hget('x:{b}:meta', 'uid')), 'uid-b')
})

t.test('Redis keeps a field given twice, in order, so the property below tests that case', async t => {
  await fixture.admin.xadd('x:dup', '*', 'data', 'one', 'data', 'two', '', 'empty name')
  const [[, fields]] = await fixture.admin.xrange('x:dup', '-', '+') as [[string, string[]]]
  t.same(fields, ['data', 'one', 'data', 'two', '', 'empty name'])
})

// The property: any entries, however other clients wrote them, have one rendering and one size,
// whichever of the three renderers produces them.

type Step = { kind: 'xadd', fields: Buffer[] } | { kind: 'ours', messages: Message[] }

const DATA = Buffer.from(PAYLOAD_FIELD)
const RAW = Buffer.from(VERBATIM_FIELD)
const byte = fc.oneof(fc.constantFrom(0, 10, 13, 32, 61, 255), fc.integer({ min: 0, max: 255 }))
const bytes = (maxLength: number): fc.Arbitrary<Buffer> => fc.array(byte, { maxLength }).map(values => Buffer.from(values))
const value = fc.oneof(
  { weight: 10, arbitrary: bytes(100) },
  { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
  // Now and then a payload longer than a page.
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1000, max: 20_000 }), bytes(16)).map(([length, pattern]) => Buffer.alloc(length, pattern.length > 0 ? pattern : 'z')) }
)
const name = fc.oneof(
  fc.constantFrom('data', 'raw', 'DATA', 'data ', 'dat', 'datas', 'rawr', 'level', 'msg', '', '\0data').map(text => Buffer.from(text)),
  bytes(10)
)
const fields: fc.Arbitrary<Buffer[]> = fc.oneof(
  value.map(payload => [DATA, payload]), // a line as dnpipes stores it
  fc.tuple(value, value).map(([payload, flag]) => [DATA, payload, RAW, flag]), // verbatim
  fc.tuple(value, value).map(([payload, flag]) => [RAW, flag, DATA, payload]), // the flag first
  value.map(flag => [RAW, flag]), // the flag alone: no payload
  fc.tuple(value, name, value, value).map(([first, other, between, second]) => [DATA, first, other, between, DATA, second]), // data twice
  fc.array(fc.tuple(name, value), { minLength: 1, maxLength: 5 }).map(pairs => pairs.flat()), // several fields of any names
  fc.tuple(fc.constantFrom('info', 'warn'), bytes(40)).map(([level, text]) => [Buffer.from('level'), Buffer.from(level), Buffer.from('msg'), text]) // a logger
)
const message: fc.Arbitrary<Message> = fc.record({ payload: value, verbatim: fc.boolean() })
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fields.map(f => ({ kind: 'xadd' as const, fields: f })) },
  { weight: 1, arbitrary: fc.array(message, { minLength: 1, maxLength: 3 }).map(messages => ({ kind: 'ours' as const, messages })) }
)

const bulk = (data: Buffer | string): Buffer => {
  const payload = Buffer.from(data)
  return Buffer.concat([Buffer.from(`$${payload.length}\r\n`), payload, Buffer.from('\r\n')])
}
const array = (items: Buffer[]): Buffer => Buffer.concat([Buffer.from(`*${items.length}\r\n`), ...items])

/** A ranged page's EXEC reply, as page-renderer.test.ts builds it, with the entries Redis returned. */
function execReply (entries: Array<[Buffer, Buffer[]]>): Buffer {
  return array([array([bulk('u'), bulk('0')]), array(entries.map(([id, f]) => array([bulk(id), array(f.map(bulk))]))), array([])])
}

function renderCut (bytes: Buffer, cuts: number[]): RenderedPage {
  let page: RenderedPage | undefined
  const reader = new RespReader(() => new PageRenderer(16, rendered => { page = rendered }))
  let at = 0
  for (const cut of cuts.map(c => c % (bytes.length + 1)).sort((a, b) => a - b).concat(bytes.length)) {
    if (cut > at) reader.feed(bytes.subarray(at, cut))
    at = Math.max(at, cut)
  }
  if (!page) throw new Error('the reply did not complete')
  return page
}

function expect (ok: boolean, what: string): void {
  if (!ok) throw new Error(what)
}

t.test('the read script, the page renderer and src/framing/entry.ts render any entries to the same bytes and sizes', async t => {
  // Only the read script serves pages: ranged pages would hide its answers.
  const store = new RedisEngine(fixture.admin, { prefix: 'prop:', indexEvery: 256, rangedPageBytes: 0 })
  t.teardown(() => store.close())
  const raw = await RawConnection.open({ host: '127.0.0.1', port: fixture.server.port, name: 'script-runner-test' }, 5000)
  t.teardown(() => raw.close())
  let run = 0
  let shapes = 0
  await fc.assert(fc.asyncProperty(fc.array(step, { maxLength: 25 }), fc.array(fc.nat(1_000_000), { maxLength: 20 }), fc.nat(), fc.integer({ min: 1000, max: 8192 }),
    async (steps, cuts, seekAt, pageBytes) => {
      const topic = `p${run++}`
      const keys = store.keys.topic(topic)
      const { uid } = await store.create(topic)
      for (const s of steps) {
        if (s.kind === 'xadd') await fixture.admin.xadd(keys.stream, '*', ...s.fields)
        else await store.append(topic, uid, s.messages)
      }
      const entries = await fixture.admin.xrangeBuffer(keys.stream, '-', '+')
      expect(entries.length === steps.filter(s => s.kind === 'xadd').length + steps.reduce((n, s) => n + (s.kind === 'ours' ? s.messages.length : 0), 0), 'every entry was added')
      shapes += entries.length

      // (3) The definition.
      const expected = Buffer.concat(entries.map(([, f]) => render(f)))
      expect(entries.reduce((n, [, f]) => n + renderedLength(f), 0) === expected.length, `renderedLength sums to ${expected.length}`)

      // (1) The scripts: stat accounts the foreign entries (entry_size), reads render them (emit).
      const stat = await store.statTopic(topic)
      expect(stat?.size === expected.length, `stat size ${stat?.size}, rendered ${expected.length}`)
      expect(stat?.entries === entries.length, `stat entries ${stat?.entries} of ${entries.length}`)
      const read = await readAll(store, topic, pageBytes)
      expect(read.equals(expected), `the read script's ${read.length} bytes differ from the ${expected.length} rendered`)
      const offset = expected.length === 0 ? 0 : seekAt % (expected.length + 1)
      const seek = await new ReadCursor(request => store.read(topic, request), pageBytes).read(offset, 700)
      expect(seek.equals(expected.subarray(offset, offset + 700)), `a read at ${offset} (through the index) differs`)

      // (2) The page renderer: on the EXEC reply Redis sends, and on one built here, cut anywhere.
      let page: RenderedPage | undefined
      const renderer = new PageRenderer(16, rendered => { page = rendered })
      const queued = (): ValueVisitor => new ValueVisitor(() => undefined)
      await raw.send([
        ['MULTI'], ['HMGET', keys.meta, 'uid', 'gen'], ['XRANGE', keys.stream, '-', '+'],
        ['ZREVRANGEBYSCORE', keys.index, '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, 1], ['EXEC']
      ], [queued(), queued(), queued(), queued(), renderer])
      const real = page as RenderedPage | undefined
      expect(real !== undefined && real.errors.length === 0 && real.uid === uid && real.count === entries.length, `the real page: ${JSON.stringify(real?.errors)}`)
      expect(real!.data.equals(expected), `the page renderer's ${real!.data.length} bytes (real reply) differ from the ${expected.length} rendered`)
      const built = renderCut(execReply(entries), cuts)
      expect(built.data.equals(expected) && built.count === entries.length, `the page renderer's ${built.data.length} bytes (built reply) differ`)

      await fixture.admin.del(keys.stream, keys.meta, keys.index)
    }), { numRuns: 150 })
  t.ok(shapes > 150 * 5, `${shapes} entries in ${run} topics`)
})
