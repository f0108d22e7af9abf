import fc from 'fast-check'
import t from 'tap'
import { encodeCommand, RespError, RespReader, RespValue, ValueVisitor } from '../../../src/redis/resp-reader'

/** RESP2 bytes of a value, as a server would send them. */
function encode (value: RespValue): Buffer {
  if (value === null) return Buffer.from('$-1\r\n')
  if (typeof value === 'number') return Buffer.from(`:${value}\r\n`)
  if (typeof value === 'string') return Buffer.from(`+${value}\r\n`)
  if (value instanceof RespError) return Buffer.from(`-${value.message}\r\n`)
  if (Buffer.isBuffer(value)) return Buffer.concat([Buffer.from(`$${value.length}\r\n`), value, Buffer.from('\r\n')])
  return Buffer.concat([Buffer.from(`*${value.length}\r\n`), ...value.map(encode)])
}

/** Feeds `bytes` cut at `cuts`, and returns the replies read. */
function readAll (bytes: Buffer, cuts: number[]): RespValue[] {
  const replies: RespValue[] = []
  const reader = new RespReader(() => new ValueVisitor(value => replies.push(value)))
  let at = 0
  for (const cut of [...cuts.filter(c => c > 0 && c < bytes.length)].sort((a, b) => a - b).concat(bytes.length)) {
    if (cut > at) reader.feed(bytes.subarray(at, cut))
    at = Math.max(at, cut)
  }
  return replies
}

const scalar = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map(bytes => Buffer.from(bytes) as RespValue),
  fc.integer({ min: -1e9, max: 1e9 }) as fc.Arbitrary<RespValue>,
  fc.stringMatching(/^[A-Za-z ]{0,12}$/) as fc.Arbitrary<RespValue>,
  fc.stringMatching(/^[A-Z]{1,8} [a-z ]{0,12}$/).map(message => new RespError(message) as RespValue),
  fc.constant(null)
)
const value: fc.Arbitrary<RespValue> = fc.letrec<{ value: RespValue }>(tie => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('value'), { maxLength: 5 }))
})).value

const same = (a: RespValue, b: RespValue): boolean => {
  if (a instanceof RespError || b instanceof RespError) return a instanceof RespError && b instanceof RespError && a.message === b.message
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b)
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]!))
  return a === b
}

t.test('any replies, cut anywhere into chunks, read back the same', async () => {
  fc.assert(fc.property(fc.array(value, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(400), { maxLength: 30 }), (replies, cuts) => {
    const got = readAll(Buffer.concat(replies.map(encode)), cuts)
    return got.length === replies.length && got.every((reply, i) => same(reply, replies[i]!))
  }), { numRuns: 500 })
})

t.test('a bulk string of megabytes arriving in small chunks is read once complete', async t => {
  const big = Buffer.alloc(3 * 1024 * 1024, 'z')
  const bytes = encode([big, Buffer.from('after')])
  const cuts = Array.from({ length: Math.ceil(bytes.length / 65536) }, (_, i) => i * 65536)
  const [reply] = readAll(bytes, cuts) as [Buffer[]]
  t.ok(reply[0]!.equals(big))
  t.equal(reply[1]!.toString(), 'after')
})

t.test('empty and null arrays, and the end of a reply after nested arrays', async t => {
  const bytes = Buffer.from('*0\r\n*-1\r\n*2\r\n*1\r\n*0\r\n:7\r\n+OK\r\n')
  t.same(readAll(bytes, [3, 9, 17]), [[], null, [[[]], 7], 'OK'])
})

t.test('bytes that are not RESP2 are refused', async t => {
  const reader = new RespReader(() => new ValueVisitor(() => {}))
  t.throws(() => reader.feed(Buffer.from('?what\r\n')), { name: 'ProtocolError' })
  const numbers = new RespReader(() => new ValueVisitor(() => {}))
  t.throws(() => numbers.feed(Buffer.from('$1x\r\n')), { name: 'ProtocolError' })
})

t.test('commands are encoded as arrays of bulk strings', async t => {
  t.equal(encodeCommand(['XRANGE', 'k', '(1-0', 5, Buffer.from([0, 13, 10])]).toString('latin1'),
    '*5\r\n$6\r\nXRANGE\r\n$1\r\nk\r\n$4\r\n(1-0\r\n$1\r\n5\r\n$3\r\n\x00\r\n\r\n')
})
