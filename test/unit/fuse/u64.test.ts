import fc from 'fast-check'
import t from 'tap'
import { readU64, writeI64, writeU64 } from '../../../src/fuse/u64'

t.test('unsigned fields match what BigInt writes, up to 2^53', async t => {
  fc.assert(fc.property(fc.maxSafeNat(), fc.nat(8), (value, at) => {
    const ours = Buffer.alloc(16, 0xaa)
    const theirs = Buffer.alloc(16, 0xaa)
    writeU64(ours, value, at)
    theirs.writeBigUInt64LE(BigInt(value), at)
    return ours.equals(theirs) && readU64(ours, at) === value
  }))
  const buffer = Buffer.alloc(8)
  writeU64(buffer, 2 ** 32, 0)
  t.equal(buffer.readBigUInt64LE(0), 2n ** 32n, 'the carry into the high word')
})

t.test('signed fields match what BigInt writes, negatives in two\'s complement', async t => {
  fc.assert(fc.property(fc.maxSafeInteger(), value => {
    const ours = Buffer.alloc(8)
    const theirs = Buffer.alloc(8)
    writeI64(ours, value, 0)
    theirs.writeBigInt64LE(BigInt(value), 0)
    return ours.equals(theirs)
  }))
  const buffer = Buffer.alloc(8)
  writeI64(buffer, -1, 0)
  t.same([...buffer], [255, 255, 255, 255, 255, 255, 255, 255], '-1 (the kernel\'s "no range")')
})

t.test('a value a number cannot hold exactly, or a field past the end, is refused', async t => {
  const buffer = Buffer.alloc(8)
  t.throws(() => writeU64(buffer, -1, 0), RangeError)
  t.throws(() => writeU64(buffer, 1.5, 0), RangeError)
  t.throws(() => writeU64(buffer, 2 ** 53, 0), RangeError)
  t.throws(() => writeU64(buffer, NaN, 0), RangeError)
  t.throws(() => writeI64(buffer, -(2 ** 53), 0), RangeError)
  t.throws(() => writeU64(buffer, 1, 1), RangeError)
  t.same([...buffer], [0, 0, 0, 0, 0, 0, 0, 0], 'nothing written')
})

t.test('reads above 2^53 round as Number(bigint) does', async t => {
  const buffer = Buffer.alloc(8)
  for (const value of [2n ** 53n + 1n, 2n ** 63n | 9n, 2n ** 64n - 1n]) {
    buffer.writeBigUInt64LE(value, 0)
    t.equal(readU64(buffer, 0), Number(value))
  }
})
