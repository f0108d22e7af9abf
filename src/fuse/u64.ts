/**
 * 64-bit fields of the kernel's structures from and to JavaScript numbers, without BigInt:
 * every reply carries several (node ids, sizes, times, cache lifetimes), and converting each
 * through a BigInt allocates on the path of every request. A number holds an integer exactly
 * up to 2^53, far beyond any size, time or node id a mount hands out; a value it cannot hold
 * exactly is refused rather than written wrong.
 */

const TWO_32 = 4294967296

function checked (value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${value} is not a 64-bit field value`)
}

/** Stores a 32-bit word's bytes, least significant first. */
function putWord (buffer: Uint8Array, word: number, at: number): void {
  buffer[at] = word
  buffer[at + 1] = word >>> 8
  buffer[at + 2] = word >>> 16
  buffer[at + 3] = word >>> 24
}

/** Writes an unsigned 64-bit little-endian field: a non-negative safe integer. */
export function writeU64 (buffer: Uint8Array, value: number, at: number): void {
  checked(value, 0)
  if (at < 0 || at + 8 > buffer.length) throw new RangeError(`a 64-bit field at ${at} does not fit in ${buffer.length} bytes`)
  const low = value >>> 0
  putWord(buffer, low, at)
  putWord(buffer, (value - low) / TWO_32, at + 4)
}

/** Writes a signed 64-bit little-endian field (two's complement): a safe integer. */
export function writeI64 (buffer: Uint8Array, value: number, at: number): void {
  checked(value, -Number.MAX_SAFE_INTEGER)
  if (at < 0 || at + 8 > buffer.length) throw new RangeError(`a 64-bit field at ${at} does not fit in ${buffer.length} bytes`)
  const high = Math.floor(value / TWO_32)
  putWord(buffer, value - high * TWO_32, at)
  putWord(buffer, high | 0, at + 4)
}

/**
 * Reads an unsigned 64-bit little-endian field as a number: exact up to 2^53, the nearest
 * double above (as Number(bigint) gives), which no field dnpipes reads as a number reaches.
 */
export function readU64 (buffer: Buffer, at: number): number {
  return buffer.readUInt32LE(at) + buffer.readUInt32LE(at + 4) * TWO_32
}
