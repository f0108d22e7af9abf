import { groupsLog } from '../../log'
import type { Delivery, GroupReader } from '../../topics/readers/group-reader'
import type { HeldMessage, HeldMessages } from '../../topics/readers/held-messages'
import { dyingOfSignal, processOf } from '../processes'
import { SerialQueue } from '../../util/serial-queue'

const EMPTY = Buffer.alloc(0)

/** How the mount tells who made a request and how that process is ending (processes.ts). */
export interface ProcessProbe {
  processOf (tid: number): Promise<number | undefined>
  dyingOfSignal (tid: number): Promise<boolean>
}

const PROC: ProcessProbe = { processOf, dyingOfSignal }

/**
 * An open `.group/G/TOPIC`: each read(2) returns bytes of one message only, claimed for this
 * file, so that `read -r`, `head -n 1` and `xargs -n 1` never take more than they use. A
 * message is acknowledged when the file reads on past it, or at the last close of the open file
 * (RELEASE) when the process that read it had closed it alive or exiting normally. A close of
 * one descriptor while others of the same open file live on (bash's `read job <&3` closes the
 * dup it made) only notes how the reader was then. When that process dies of a signal, or the
 * file goes away without such a close, the message is let go unacknowledged: another reader
 * gets it after the visibility timeout. While it is held here, no other reader gets it (see
 * held-messages.ts).
 */
export class GroupFile {
  readonly kind = 'group'
  /**
   * The message being read, the file offset its first byte was handed out at, the process that
   * read it, and whether that process has since closed the file alive or exiting normally.
   */
  private current: { held: HeldMessage, start: number, holder: number | undefined, closedByHolder: boolean } | undefined
  /** Reads run one after another; closes do not wait for them. */
  private readonly queue = new SerialQueue()
  /** The last reading thread and its process: a reader reads from the same thread, message after message. */
  private lastReader: { tid: number, pid: number | undefined } | undefined

  constructor (
    readonly reader: GroupReader,
    private readonly held: HeldMessages,
    private readonly probe: ProcessProbe = PROC
  ) {}

  /**
   * Up to `length` bytes at `offset` for thread `tid`: more of the current message while the
   * offset is inside it (a reader that seeks back gets the same bytes again); past its end, the
   * next message, once it is acknowledged. Empty when the topic is gone or `signal` aborted.
   */
  read (offset: number, length: number, signal: AbortSignal, tid: number | undefined): Promise<Buffer> {
    return this.queue.run(async () => {
      const current = this.current
      if (current) {
        const data = current.held.delivery.data
        if (offset < current.start + data.length) {
          const from = Math.max(0, offset - current.start)
          return data.subarray(from, from + length)
        }
      }
      // Reading on past a message acknowledges it, with the claim of the next one.
      const finished = this.takeCurrent()
      // Who is reading is looked up while the claim is under way: it is the reader's to close.
      const holder = this.processOfReader(tid)
      const delivery = await this.reader.next(signal, finished)
      if (!delivery) return EMPTY
      this.hold(delivery, offset, await holder)
      return delivery.data.subarray(0, length)
    })
  }

  /**
   * A close(2) of a descriptor of this file by thread `tid` (FUSE's FLUSH). Only the process
   * that read the current message tells about it: a command run by a `while read` loop closes
   * its inherited copy without having read anything. A holder dying of a signal lets the
   * message go at once (it will do nothing more with it); a holder alive or exiting normally is
   * noted, and the last close of the file decides (release).
   */
  async flush (tid: number | undefined): Promise<void> {
    // Not queued behind reads: a read may wait for a message indefinitely, and the close of a
    // child's copy must not wait with it.
    const current = this.current
    if (!current || tid === undefined) return
    if (await this.processOfReader(tid) !== current.holder) return
    const killed = await this.probe.dyingOfSignal(tid)
    if (this.current !== current) return
    if (!killed) {
      current.closedByHolder = true
      return
    }
    groupsLog('message %s of group %s: its reader died of a signal; it goes back', current.held.delivery.id, this.reader.group)
    await this.finish(false)
  }

  /**
   * The last close of the file: the current message is acknowledged when its reader closed the
   * file alive or exiting normally; otherwise it goes back after the visibility timeout. `last`:
   * no other file of this group and topic is open in this mount (GroupFiles.release).
   */
  async release (last = true): Promise<void> {
    await this.finish(this.current?.closedByHolder === true)
    // The consumer is the mount's: it leaves the group when the mount's last reader of it does.
    if (last) await this.reader.leave().catch(() => undefined)
  }

  private hold (delivery: Delivery, start: number, holder: number | undefined): void {
    const held = { reader: this.reader, delivery }
    this.held.add(held)
    this.current = { held, start, holder, closedByHolder: false }
  }

  private async processOfReader (tid: number | undefined): Promise<number | undefined> {
    if (tid === undefined) return undefined
    if (this.lastReader?.tid === tid) return this.lastReader.pid
    const pid = await this.probe.processOf(tid)
    this.lastReader = { tid, pid }
    return pid
  }

  /** The current message, no longer held here; undefined when there is none. */
  private takeCurrent (): Delivery | undefined {
    const current = this.current
    if (!current) return undefined
    this.current = undefined
    this.held.delete(current.held)
    return current.held.delivery
  }

  /** Done with the current message: acknowledged, or let go for another reader. */
  private async finish (acknowledge: boolean): Promise<void> {
    const delivery = this.takeCurrent()
    if (!delivery || !acknowledge) return
    try {
      await this.reader.acknowledge(delivery)
    } catch (err) {
      // Not acknowledged, so not lost: it goes to a reader again after the visibility timeout.
      groupsLog('acknowledging message %s of group %s failed: %s', delivery.id, this.reader.group, (err as Error).message)
    }
  }
}
