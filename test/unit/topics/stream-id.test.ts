import fc from 'fast-check'
import t from 'tap'
import { compareIds, minId, idAfter } from '../../../src/topics/stream-id'

const MAX = (1n << 64n) - 1n

// Stream ids as Redis writes them: two unsigned 64-bit integers, in decimal without leading zeros.
const part = fc.oneof(fc.bigInt({ min: 0n, max: 99n }), fc.bigInt({ min: 0n, max: MAX }), fc.constantFrom(0n, 9n, 10n, 999n, 1000n, MAX))
const id = fc.tuple(part, part).map(([ms, seq]) => `${ms}-${seq}`)
const sign = (n: number): number => n < 0 ? -1 : n > 0 ? 1 : 0
const numeric = (a: string, b: string): number => {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint]
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint]
  return am !== bm ? (am < bm ? -1 : 1) : as !== bs ? (as < bs ? -1 : 1) : 0
}

t.test('ids compare as pairs of integers, not as strings', async () => {
  fc.assert(fc.property(id, id, (a, b) => sign(compareIds(a, b)) === numeric(a, b) && sign(compareIds(b, a)) === -numeric(a, b)),
    { numRuns: 1000 })
})

t.test('known orders', async t => {
  t.ok(compareIds('9-0', '10-0') < 0, 'more digits is later')
  t.ok(compareIds('1700000000000-10', '1700000000000-9') > 0, 'sequence numbers as integers')
  t.ok(compareIds('2-0', '1-99') > 0, 'the time decides before the sequence')
  t.equal(compareIds('5-3', '5-3'), 0)
  t.equal(compareIds('0-0', '0-0'), 0)
  t.equal(compareIds('5', '5-0'), 0, 'a missing sequence is 0')
  t.ok(compareIds('5', '5-1') < 0)
  t.ok(compareIds(`${MAX}-${MAX}`, `${MAX - 1n}-${MAX}`) > 0, 'beyond 2^53')
})

t.test('minId is the smallest id, or undefined for none', async t => {
  t.equal(minId([]), undefined)
  t.equal(minId(['3-0']), '3-0')
  t.equal(minId(['10-0', '9-5', '9-10']), '9-5')
  t.equal(minId(new Set(['1-1', '1-0', '2-0']).values()), '1-0', 'any iterable')
  fc.assert(fc.property(fc.array(id, { minLength: 1, maxLength: 20 }), ids => {
    const min = minId(ids)!
    return ids.includes(min) && ids.every(other => numeric(min, other) <= 0)
  }), { numRuns: 300 })
})

t.test('idAfter: the id XADD * would give after the last one, at a given clock', async t => {
  t.equal(idAfter(undefined, 1700000000123), '1700000000123-0', 'nothing known: now')
  t.equal(idAfter('1700000000100-7', 1700000000123), '1700000000123-0', 'a later clock starts a new millisecond')
  t.equal(idAfter('1700000000123-7', 1700000000123), '1700000000123-8', 'the same millisecond: the next sequence')
  t.equal(idAfter('1700000000500-0', 1700000000123), '1700000000500-1', 'a clock behind the last id: after it all the same')
  t.equal(idAfter('5-18446744073709551614', 5), '5-18446744073709551615', 'sequences past 2^53 stay exact')
  t.equal(idAfter('0-0', 12.7), '12-0', 'whole milliseconds')
})
