import { createFramer, Framer } from '../framing/framer'
import { Framing, Message } from '../framing/message'
import type { TopicEngine, WriteToken } from '../topics/engine'
import { ReadCursor, topicCursor } from '../topics/readers/read-cursor'
import { SerialQueue } from '../util/serial-queue'

/**
 * One open(2) of a topic: its identity at open time, its read position and the partial line it
 * holds. Writes through one handle are applied one after another, in order.
 */
export class OpenFile {
  readonly kind = 'plain'
  /** Current path; follows renames, since FUSE hands every operation the path of today. */
  path: string
  readonly cursor: ReadCursor
  private readonly framer: Framer
  /** The request of the last write applied (see FileJournal.wrote), when known. */
  lastWrite: string | undefined
  private readonly queue = new SerialQueue()

  constructor (
    private readonly engine: TopicEngine,
    path: string,
    readonly uid: string,
    readonly writable: boolean,
    framing: Framing,
    private readonly onMessages?: (direction: 'pushed' | 'read', count: number) => void,
    /** Set for a `.delay/S/` file: what it pushes is scheduled S later. */
    readonly delayMs?: number
  ) {
    this.path = path
    this.framer = createFramer(framing)
    this.cursor = topicCursor(engine, this, count => this.onMessages?.('read', count))
  }

  /** Pushes the complete messages in `chunk`; resolves when Redis has them. */
  write (chunk: Buffer, token?: WriteToken): Promise<void> {
    return this.queue.run(async () => {
      const before = this.framer.save()
      const messages = this.framer.push(chunk)
      try {
        await this.push(messages, token)
      } catch (err) {
        // The write failed as a whole: its bytes must not surface later in another message.
        this.framer.restore(before)
        throw err
      }
    })
  }

  /** How many bytes of a partial line it holds. */
  get heldLength (): number {
    return this.framer.pendingBytes
  }

  /** The bytes of a partial line held until more comes, or the file is closed. */
  heldBytes (): Buffer {
    const { held } = this.framer.save()
    return held.length === 1 ? held[0]! : Buffer.concat(held)
  }

  /** Holds `bytes`, a partial line another server held for this file. */
  adoptHeld (bytes: Buffer): void {
    if (bytes.length > 0) this.framer.restore({ held: [bytes] })
  }

  /** Pushes the partial line held, as close(2) does. A failure is reported and the bytes dropped. */
  flush (token?: WriteToken): Promise<void> {
    return this.queue.run(async () => {
      const remainder = this.framer.takeRemainder()
      if (remainder) await this.push([remainder], token)
    })
  }

  private async push (messages: Message[], token: WriteToken | undefined): Promise<void> {
    if (messages.length === 0) return
    await this.engine.append(this.path, this.uid, messages, this.delayMs, token)
    this.onMessages?.('pushed', messages.length)
  }
}
