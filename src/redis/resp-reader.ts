/**
 * A streaming reader of RESP2 replies that hands each token to a visitor instead of building
 * values. A page of 10 000 stream entries then costs no object per entry: the visitor copies
 * payloads straight from the socket's buffers (see src/topics/redis/pages/page-renderer.ts). Pure: it knows
 * nothing about sockets, and any split of the bytes into chunks gives the same tokens.
 */

export interface ReplyVisitor {
  /** An array of `length` items starts; `close()` follows its last item (at once when empty). */
  open (length: number): void
  close (): void
  /** A bulk string: the bytes `data[start, end)`, valid as long as the visitor keeps `data`. */
  bulk (data: Buffer, start: number, end: number): void
  /** A null bulk string or null array. */
  nil (): void
  integer (value: number): void
  /** A simple string (+OK, +QUEUED). */
  status (text: string): void
  /** An error reply: the whole reply when at the top, or one element of an EXEC reply. */
  error (message: string): void
  /** The reply is complete. */
  done (): void
}

const CR = 13
const STAR = 42
const DOLLAR = 36
const COLON = 58
const PLUS = 43
const MINUS = 45
const UNDERSCORE = 95

export class ProtocolError extends Error {
  override name = 'ProtocolError'
}

export class RespReader {
  private buffer: Buffer = Buffer.alloc(0)
  private position = 0
  /** Chunks that arrived while a bulk string longer than what is buffered was incomplete. */
  private waiting: Buffer[] = []
  private waitingBytes = 0
  /** Bytes needed from `position` before parsing can go on; 0 when any new byte may help. */
  private needed = 0
  /** Items still expected by each open array, innermost last. */
  private readonly remaining: number[] = []

  /**
   * `nextVisitor` gives the visitor of the reply that starts now (replies come in request order);
   * `replied` hears of each complete reply, after its visitor's done().
   */
  constructor (private readonly nextVisitor: () => ReplyVisitor, private readonly replied: () => void = () => {}) {}

  private visitor: ReplyVisitor | undefined

  /** Bytes from the socket, in order. Throws ProtocolError on bytes that are not RESP2. */
  feed (chunk: Buffer): void {
    if (this.needed > 0 && this.buffer.length - this.position + this.waitingBytes + chunk.length < this.needed) {
      // Still inside a long bulk string: keep the chunk aside rather than copying again.
      this.waiting.push(chunk)
      this.waitingBytes += chunk.length
      return
    }
    if (this.position >= this.buffer.length && this.waiting.length === 0) {
      this.buffer = chunk
    } else {
      this.buffer = Buffer.concat([this.buffer.subarray(this.position), ...this.waiting, chunk])
      this.waiting = []
      this.waitingBytes = 0
    }
    this.position = 0
    this.needed = 0
    this.parse()
  }

  private parse (): void {
    const data = this.buffer
    while (this.position < data.length) {
      const start = this.position
      // Headers are a few bytes long: a loop here costs less than a call into Buffer.indexOf.
      let lineEnd = start + 1
      while (lineEnd < data.length && data[lineEnd] !== CR) lineEnd++
      if (lineEnd + 1 >= data.length) return // header incomplete
      const type = data[start]!
      const visitor = this.visitor ??= this.nextVisitor()
      if (type === DOLLAR) {
        const length = readInteger(data, start + 1, lineEnd)
        if (length < 0) {
          this.position = lineEnd + 2
          visitor.nil()
        } else {
          const end = lineEnd + 2 + length
          if (end + 2 > data.length) {
            this.needed = end + 2 - start
            return
          }
          this.position = end + 2
          visitor.bulk(data, lineEnd + 2, end)
        }
      } else if (type === STAR) {
        const length = readInteger(data, start + 1, lineEnd)
        this.position = lineEnd + 2
        if (length < 0) {
          visitor.nil()
        } else {
          visitor.open(length)
          if (length > 0) {
            this.remaining.push(length)
            continue // its items complete it
          }
          visitor.close()
        }
      } else if (type === COLON) {
        this.position = lineEnd + 2
        visitor.integer(readInteger(data, start + 1, lineEnd))
      } else if (type === PLUS) {
        this.position = lineEnd + 2
        visitor.status(data.toString('utf8', start + 1, lineEnd))
      } else if (type === MINUS) {
        this.position = lineEnd + 2
        visitor.error(data.toString('utf8', start + 1, lineEnd))
      } else if (type === UNDERSCORE) {
        // RESP3's null: Redis 7.0 sends it even to a RESP2 connection, as the key list of the
        // invalidation that FLUSHALL makes (client tracking, see tracked-stats.ts).
        this.position = lineEnd + 2
        visitor.nil()
      } else {
        throw new ProtocolError(`unexpected byte ${type} at the start of a RESP2 value`)
      }
      this.itemDone(visitor)
    }
  }

  /** One value is complete: close the arrays it completes, and the reply when it was the last. */
  private itemDone (visitor: ReplyVisitor): void {
    const remaining = this.remaining
    while (remaining.length > 0) {
      const left = remaining[remaining.length - 1]! - 1
      if (left > 0) {
        remaining[remaining.length - 1] = left
        return
      }
      remaining.pop()
      visitor.close()
    }
    this.visitor = undefined
    visitor.done()
    this.replied()
  }
}

function readInteger (data: Buffer, from: number, to: number): number {
  let index = from
  let negative = false
  if (data[index] === MINUS) {
    negative = true
    index++
  }
  if (index >= to) throw new ProtocolError('an empty number in a RESP2 header')
  let value = 0
  for (; index < to; index++) {
    const digit = data[index]! - 48
    if (digit < 0 || digit > 9) throw new ProtocolError('a malformed number in a RESP2 header')
    value = value * 10 + digit
  }
  return negative ? -value : value
}

/** Encodes one command as a RESP2 array of bulk strings. */
export function encodeCommand (args: ReadonlyArray<string | number | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)]
  for (const arg of args) {
    const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg))
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF)
  }
  return Buffer.concat(parts)
}

const CRLF = Buffer.from('\r\n')

/** A visitor that builds plain values: for handshakes and small replies. */
export type RespValue = Buffer | number | string | null | RespError | RespValue[]

export class RespError extends Error {}

export class ValueVisitor implements ReplyVisitor {
  private readonly stack: RespValue[][] = []
  private value: RespValue = null

  constructor (private readonly onDone: (value: RespValue) => void) {}

  private add (value: RespValue): void {
    const top = this.stack[this.stack.length - 1]
    if (top) top.push(value)
    else this.value = value
  }

  open (): void { this.stack.push([]) }
  close (): void { this.add(this.stack.pop()!) }
  bulk (data: Buffer, start: number, end: number): void { this.add(Buffer.from(data.subarray(start, end))) }
  nil (): void { this.add(null) }
  integer (value: number): void { this.add(value) }
  status (text: string): void { this.add(text) }
  error (message: string): void { this.add(new RespError(message)) }
  done (): void { this.onDone(this.value) }
}
