import { PAYLOAD_FIELD, VERBATIM_FIELD } from '../../../framing/entry'
import { ReplyVisitor } from '../../../redis/resp-reader'

/**
 * Renders the reply of one ranged page request straight into the page's bytes:
 *
 *   EXEC -> [ HMGET meta uid gen -> [uid, gen],
 *             XRANGE stream (after (end -> [[id, [field, value, ...]], ...],
 *             ZREVRANGEBYSCORE idx ... WITHSCORES LIMIT 0 1 -> [] | [id, score] ]
 *
 * Entries render as src/framing/entry.ts defines (the unit and contract tests compare them): the
 * payload field, plus a newline unless the verbatim field is present; an entry without a payload
 * renders as `field=value field=value` and a newline. Nothing is allocated per entry.
 */
export interface RenderedPage {
  uid: string | undefined
  gen: string | undefined
  data: Buffer
  count: number
  /** Id of the last entry rendered; "" when none. */
  lastId: string
  /** The index point the next page can end at, if any. */
  next: { id: string, pos: number } | undefined
  /** Error replies inside the transaction (MOVED, NOPERM, WRONGTYPE…); the page is then unusable. */
  errors: string[]
}

// The commands of the transaction, by position; entries (XRANGE, 1) are the ones at depth 3 and 4.
const HMGET = 0
const ZRANGE = 2

/** Up to this many bytes, a copy is a plain loop. */
const SHORT_COPY = 64
const NEWLINE = 10
const SPACE = 32
const EQUALS = 61

function isName (data: Buffer, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false
  for (let i = 0; i < name.length; i++) if (data[start + i] !== name.charCodeAt(i)) return false
  return true
}

export class PageRenderer implements ReplyVisitor {
  private depth = 0
  /** Which command of the transaction the current element answers. */
  private element = 0
  /** Index of the next scalar inside the current element's array. */
  private item = 0
  private out: Buffer
  private length = 0
  private count = 0
  private uid: string | undefined
  private gen: string | undefined
  private nextId: string | undefined
  private nextPos: number | undefined
  private readonly errors: string[] = []
  // The current entry: its id and its field/value bulks, as references into the reply's bytes.
  private idData: Buffer | undefined
  private idStart = 0
  private idEnd = 0
  private lastIdData: Buffer | undefined
  private lastIdStart = 0
  private lastIdEnd = 0
  private readonly fieldData: Buffer[] = []
  private readonly fieldStart: number[] = []
  private readonly fieldEnd: number[] = []
  private fields = 0

  constructor (expectedBytes: number, private readonly onDone: (page: RenderedPage) => void) {
    this.out = Buffer.allocUnsafe(Math.max(expectedBytes, 64))
  }

  open (): void {
    this.depth++
    if (this.depth === 2) this.item = 0
    else if (this.depth === 4) this.fields = 0
  }

  close (): void {
    if (this.depth === 4) this.renderEntry()
    else if (this.depth === 3) {
      this.lastIdData = this.idData
      this.lastIdStart = this.idStart
      this.lastIdEnd = this.idEnd
    } else if (this.depth === 2) this.element++
    this.depth--
  }

  bulk (data: Buffer, start: number, end: number): void {
    const depth = this.depth
    if (depth === 4) {
      const index = this.fields++
      this.fieldData[index] = data
      this.fieldStart[index] = start
      this.fieldEnd[index] = end
    } else if (depth === 3) {
      this.idData = data
      this.idStart = start
      this.idEnd = end
    } else if (depth === 2) {
      const text = data.toString('latin1', start, end)
      if (this.element === HMGET) {
        if (this.item === 0) this.uid = text
        else this.gen = text
      } else if (this.element === ZRANGE) {
        if (this.item === 0) this.nextId = text
        else this.nextPos = Number(text)
      }
      this.item++
    } else {
      this.unexpected('a bulk string')
    }
  }

  nil (): void {
    if (this.depth === 2) this.item++ // HMGET of a removed topic
    else this.unexpected('nil')
  }

  integer (): void { this.unexpected('an integer') }
  status (): void { this.unexpected('a status') }

  error (message: string): void {
    this.errors.push(message)
    if (this.depth === 1) this.element++
  }

  private unexpected (what: string): void {
    this.errors.push(`unexpected ${what} at depth ${this.depth} of the page reply`)
    if (this.depth === 1) this.element++
  }

  done (): void {
    const lastId = this.lastIdData ? this.lastIdData.toString('latin1', this.lastIdStart, this.lastIdEnd) : ''
    this.onDone({
      uid: this.uid,
      gen: this.gen,
      data: this.out.subarray(0, this.length),
      count: this.count,
      lastId,
      next: this.nextId !== undefined && this.nextPos !== undefined && Number.isFinite(this.nextPos) ? { id: this.nextId, pos: this.nextPos } : undefined,
      errors: this.errors
    })
  }

  private renderEntry (): void {
    this.count++
    const fields = this.fields
    const names = this.fieldData
    // dnpipes' own lines: the payload field alone.
    if (fields === 2 && isName(names[0]!, this.fieldStart[0]!, this.fieldEnd[0]!, PAYLOAD_FIELD)) {
      this.copy(names[1]!, this.fieldStart[1]!, this.fieldEnd[1]!)
      this.byte(NEWLINE)
      return
    }
    let payload = -1
    let verbatim = false
    for (let i = 0; i + 1 < fields; i += 2) {
      if (payload === -1 && isName(names[i]!, this.fieldStart[i]!, this.fieldEnd[i]!, PAYLOAD_FIELD)) payload = i + 1
      else if (isName(names[i]!, this.fieldStart[i]!, this.fieldEnd[i]!, VERBATIM_FIELD)) verbatim = true
    }
    if (payload !== -1) {
      this.copy(names[payload]!, this.fieldStart[payload]!, this.fieldEnd[payload]!)
      if (!verbatim) this.byte(NEWLINE)
      return
    }
    for (let i = 0; i + 1 < fields; i += 2) {
      if (i > 0) this.byte(SPACE)
      this.copy(names[i]!, this.fieldStart[i]!, this.fieldEnd[i]!)
      this.byte(EQUALS)
      this.copy(names[i + 1]!, this.fieldStart[i + 1]!, this.fieldEnd[i + 1]!)
    }
    this.byte(NEWLINE)
  }

  private reserve (bytes: number): void {
    if (this.length + bytes <= this.out.length) return
    const grown = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.length + bytes))
    this.out.copy(grown, 0, 0, this.length)
    this.out = grown
  }

  private copy (data: Buffer, start: number, end: number): void {
    const size = end - start
    this.reserve(size)
    if (size > SHORT_COPY) {
      data.copy(this.out, this.length, start, end)
    } else {
      // Lines are often short, and a call into Buffer.copy costs more than copying them here.
      const out = this.out
      let at = this.length
      for (let i = start; i < end; i++) out[at++] = data[i]!
    }
    this.length += size
  }

  private byte (value: number): void {
    this.reserve(1)
    this.out[this.length++] = value
  }
}
