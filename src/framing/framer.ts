import { DEFAULT_MAX_MESSAGE_BYTES, Framing, Message } from './message'

const NEWLINE = 0x0a

/**
 * Turns the bytes written through one open file into messages. Pure: no I/O, no clocks.
 * `push` returns the messages that are complete; `takeRemainder` hands over what is held
 * (a partial line) when the file is flushed or closed.
 */
export interface Framer {
  push (chunk: Buffer): Message[]
  takeRemainder (): Message | undefined
  readonly pendingBytes: number
  /** The held bytes, to put back with `restore` when pushing the messages failed. */
  save (): FramerState
  restore (state: FramerState): void
}

export interface FramerState {
  readonly held: readonly Buffer[]
}

export function createFramer (framing: Framing, maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): Framer {
  return framing === 'line' ? new LineFramer(maxMessageBytes) : new WriteFramer(maxMessageBytes)
}

/** Each complete line is one message; a partial line waits for its newline or the close. */
export class LineFramer implements Framer {
  private held: Buffer[] = []
  private heldBytes = 0

  constructor (private readonly maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {
    if (!(maxMessageBytes > 0)) throw new RangeError('maxMessageBytes must be positive')
  }

  get pendingBytes (): number {
    return this.heldBytes
  }

  push (chunk: Buffer): Message[] {
    const out: Message[] = []
    let start = 0
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start)
      if (newline === -1) {
        this.hold(chunk.subarray(start), out)
        break
      }
      const piece = chunk.subarray(start, newline)
      if (this.heldBytes === 0 && piece.length <= this.maxMessageBytes) {
        out.push({ payload: piece, verbatim: false })
      } else {
        this.hold(piece, out)
        out.push({ payload: this.drain(), verbatim: false })
      }
      start = newline + 1
    }
    return out
  }

  save (): FramerState {
    return { held: [...this.held] }
  }

  restore (state: FramerState): void {
    this.held = [...state.held]
    this.heldBytes = this.held.reduce((sum, piece) => sum + piece.length, 0)
  }

  takeRemainder (): Message | undefined {
    if (this.heldBytes === 0) return undefined
    return { payload: this.drain(), verbatim: true }
  }

  /** Keeps a piece of an unfinished line; whatever exceeds one message leaves as fragments. */
  private hold (piece: Buffer, out: Message[]): void {
    if (piece.length === 0) return
    this.held.push(piece)
    this.heldBytes += piece.length
    if (this.heldBytes <= this.maxMessageBytes) return
    const all = this.drain()
    let offset = 0
    while (all.length - offset > this.maxMessageBytes) {
      out.push({ payload: all.subarray(offset, offset + this.maxMessageBytes), verbatim: true })
      offset += this.maxMessageBytes
    }
    const rest = all.subarray(offset)
    this.held = [rest]
    this.heldBytes = rest.length
  }

  private drain (): Buffer {
    const all = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldBytes)
    this.held = []
    this.heldBytes = 0
    return all
  }
}

/** Each write is one verbatim message (split only when larger than one message may be). */
export class WriteFramer implements Framer {
  readonly pendingBytes = 0

  constructor (private readonly maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {
    if (!(maxMessageBytes > 0)) throw new RangeError('maxMessageBytes must be positive')
  }

  push (chunk: Buffer): Message[] {
    const out: Message[] = []
    for (let offset = 0; offset < chunk.length; offset += this.maxMessageBytes) {
      out.push({ payload: chunk.subarray(offset, offset + this.maxMessageBytes), verbatim: true })
    }
    return out
  }

  takeRemainder (): undefined {
    return undefined
  }

  save (): FramerState {
    return { held: [] }
  }

  restore (): void {}
}
