import type Redis from 'ioredis'
import t from 'tap'
import { render } from '../../../../../src/framing/entry'
import { connectRedis } from '../../../../../src/redis/connect'
import { isRangeEnd, RangedPages, RangedRequest } from '../../../../../src/topics/redis/pages/ranged-pages'
import { RedisEngine } from '../../../../../src/topics/redis/redis-engine'
import { waitFor } from '../../../../../scripts/support/redis-server'
import { connectedPerFile } from '../../../../helpers/fixture'

// Sequential pages read as plain XRANGE between two points of the offset index
// (src/topics/redis/pages/ranged-pages.ts), on a real redis-server: a page served exactly, or
// undefined whenever it cannot be (another generation, a topic gone, entries deleted), a server
// set aside after a refusal, and its own connection.

const fixture = connectedPerFile('ranged-test')

let counter = 0
/** A topic of 400 lines indexed every 256 bytes, its rendering, and its index points in order. */
async function topic (): Promise<{ engine: RedisEngine, keys: ReturnType<RedisEngine['keys']['topic']>, whole: Buffer, points: Array<{ id: string, pos: number }>, gen: string }> {
  const engine = new RedisEngine(fixture.redis, { prefix: `rp${counter++}:`, indexEvery: 256, rangedPageBytes: 0 })
  const { uid } = await engine.create('t')
  await engine.append('t', uid, Array.from({ length: 400 }, (_, i) => ({ payload: Buffer.from(`line ${i} ${'.'.repeat(i % 17)}`), verbatim: false })))
  const keys = engine.keys.topic('t')
  const whole = Buffer.concat((await fixture.admin.xrangeBuffer(keys.stream, '-', '+')).map(([, fields]) => render(fields)))
  const flat = await fixture.admin.zrange(keys.index, '0', '-1', 'WITHSCORES')
  const points: Array<{ id: string, pos: number }> = []
  for (let i = 0; i < flat.length; i += 2) points.push({ id: flat[i]!, pos: Number(flat[i + 1]) })
  return { engine, keys, whole, points, gen: (await engine.statTopic('t'))!.gen }
}

/** The entry just before the index point `at` (by id), and the request for the page from it to the point `to`. */
async function request (keys: { stream: string }, points: Array<{ id: string, pos: number }>, gen: string, at: number, to: number): Promise<RangedRequest> {
  const before = at === 0 ? '0-0' : (await fixture.admin.xrevrange(keys.stream, '(' + points[at]!.id, '-', 'COUNT', 1))[0]![0]
  return { gen, base: 0, afterId: before, afterPos: points[at]!.pos, end: points[to]! }
}

t.test('a page between two index points: the exact bytes of the entries between them, and where the next page can end', async t => {
  const { keys, whole, points, gen } = await topic()
  t.ok(points.length > 10, `${points.length} index points`)
  const replies: number[] = []
  const pages = new RangedPages(fixture.redis, false, 1024, 5000, bytes => replies.push(bytes))
  t.teardown(() => pages.close())
  const page = await pages.read(keys, await request(keys, points, gen, 2, 5))
  t.ok(page, 'served')
  t.ok(page!.data.equals(whole.subarray(points[2]!.pos, points[5]!.pos)), 'the bytes from the first point up to the second')
  t.match(page, { firstPos: points[2]!.pos, base: 0, gen })
  t.equal(page!.count, whole.subarray(points[2]!.pos, points[5]!.pos).toString().split('\n').length - 1)
  const next = page!.hint
  t.ok(isRangeEnd(next) && next.pos > points[5]!.pos && next.pos <= points[5]!.pos + 1024, 'the next page ends at the last index point within pageBytes')
  t.same(next, points.filter(point => point.pos > points[5]!.pos && point.pos <= points[5]!.pos + 1024).pop())
  t.ok(replies.length > 0 && replies.reduce((a, b) => a + b, 0) >= page!.data.length, 'the reply bytes were told')
  const first = await pages.read(keys, await request(keys, points, gen, 0, 1))
  t.ok(first!.data.equals(whole.subarray(0, points[1]!.pos)), 'from the start of the topic')
})

t.test('undefined whenever it cannot be exact: another generation, entries deleted in the range, an empty range, the topic gone', async t => {
  const { engine, keys, points, gen } = await topic()
  const pages = new RangedPages(fixture.redis, false, 1024, 5000)
  t.teardown(() => pages.close())
  t.equal(await pages.read(keys, { ...await request(keys, points, gen, 2, 5), gen: 'other' }), undefined, 'a reset since')
  const inside = (await fixture.admin.xrange(keys.stream, '(' + points[3]!.id, '+', 'COUNT', 1))[0]![0]
  await fixture.admin.xdel(keys.stream, inside)
  t.equal(await pages.read(keys, await request(keys, points, gen, 2, 5)), undefined, 'an entry deleted: the index no longer matches')
  t.ok(await pages.read(keys, await request(keys, points, gen, 5, 6)), 'a range without deletions is still served')
  t.equal(await pages.read(keys, { gen, base: 0, afterId: points[points.length - 1]!.id, afterPos: points[points.length - 1]!.pos, end: { id: '9999999999999-0', pos: points[points.length - 1]!.pos + 1 } }), undefined, 'no entry in the range')
  await engine.remove('t')
  t.equal(await pages.read(keys, await request(keys, points, gen, 5, 6).catch(() => ({ gen, base: 0, afterId: '0-0', afterPos: 0, end: points[1]! }))), undefined, 'the topic gone')
})

t.test('a user refused MULTI: the problem is told, and the server is set aside (no connection tried) for a while', async t => {
  await fixture.admin.call('ACL', 'SETUSER', 'nomulti', 'on', '>pw', '~*', '&*', '+@all', '-multi')
  t.teardown(() => fixture.admin.call('ACL', 'DELUSER', 'nomulti'))
  const limited = await connectRedis({ kind: 'url', url: `redis://nomulti:pw@127.0.0.1:${fixture.server.port}` }, { name: 'ranged-acl', commandTimeoutMs: 5000 }) as Redis
  t.teardown(() => limited.disconnect())
  const pages = new RangedPages(limited, false, 1024, 5000)
  t.teardown(() => pages.close())
  const keys = new RedisEngine(fixture.redis, { prefix: 'acl:' }).keys.topic('t')
  t.match(await pages.problem(keys), /NOPERM/)
  t.equal(await pages.problem(keys), 'set aside after a failure')
  const open = new RangedPages(fixture.redis, false, 1024, 5000)
  t.teardown(() => open.close())
  t.equal(await open.problem(keys), undefined, 'a user that may: no problem')
})

t.test('no connected node: the problem says so; its own connection is opened once, named after the client, and closed by close()', async t => {
  const idle = await connectRedis({ kind: 'url', url: fixture.server.url }, { name: 'ranged-idle', commandTimeoutMs: 5000 }) as Redis
  idle.disconnect()
  await waitFor(async () => idle.status === 'end', 5000, 'the client to be disconnected')
  const keys = new RedisEngine(fixture.redis, { prefix: 'conn:' }).keys.topic('t')
  t.equal(await new RangedPages(idle, false, 1024, 5000).problem(keys), 'no connected node holds the topic')
  const pages = new RangedPages(fixture.redis, false, 1024, 5000)
  await pages.problem(keys)
  await pages.problem(keys)
  const named = async (): Promise<number> => (String(await fixture.admin.client('LIST')).match(/name=ranged-test-pages /g) ?? []).length
  t.equal(await named(), 1, 'one connection for both')
  pages.close()
  await waitFor(async () => await named() === 0, 5000, 'the page connection to close')
})
