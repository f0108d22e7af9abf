import { UNIQUE_RESEND } from '../fuse/protocol'
import type { WriteToken } from '../topics/engine'
import type { FileJournal } from './handles'
import type { OpenFile } from './open-file'

/**
 * The pushes of plain open files, applied once however often the kernel asks for them: a server
 * that died may have applied a write or a close whose answer it never sent, and the next server
 * gets that request again (bit 63 of its unique set). Every push carries a token that Redis
 * keeps (TopicEngine.append); the journal has what a file holds after a push that changed it.
 */
export class PushesOnce {
  /** `writer`: who this mount is to Redis when it writes; without it, pushes carry no token. */
  constructor (private readonly writer: string | undefined, private readonly journal: FileJournal | undefined) {}

  /** write(2) of `data` through `file` (handle `handle`), the kernel's request `unique`. */
  write (handle: number, file: OpenFile, data: Buffer, unique: bigint | undefined): Promise<void> {
    return this.once(handle, file, unique, token => file.write(data, token))
  }

  /** Pushes the partial line `file` holds (a close), the kernel's request `unique`. */
  pushHeld (handle: number, file: OpenFile, unique: bigint | undefined): Promise<void> {
    return this.once(handle, file, unique, token => file.flush(token))
  }

  /** `push` with the request's token, unless the journal shows it applied already. */
  private async once (handle: number, file: OpenFile, unique: bigint | undefined, push: (token: WriteToken | undefined) => Promise<void>): Promise<void> {
    const token = this.tokenOf(unique)
    if (token?.again && token.request === file.lastWrite) return
    const heldBefore = file.heldLength
    await push(token)
    this.wrote(handle, file, token, heldBefore)
  }

  private tokenOf (unique: bigint | undefined): WriteToken | undefined {
    if (unique === undefined || this.writer === undefined) return undefined
    return { writer: this.writer, request: (unique & ~UNIQUE_RESEND).toString(), again: (unique & UNIQUE_RESEND) !== 0n }
  }

  /**
   * A push through `file` was applied, and it held `heldBefore` bytes of a partial line before.
   * When what it holds changed, the next server must hold the same, and must not frame that
   * write's bytes again: the journal says so. A write of whole lines onto nothing held (the
   * common case) needs no word: asked for again, it frames the same messages, which Redis knows
   * by their token.
   */
  private wrote (handle: number, file: OpenFile, token: WriteToken | undefined, heldBefore: number): void {
    if (!token || (heldBefore === 0 && file.heldLength === 0)) return
    file.lastWrite = token.request
    this.journal?.wrote(handle, token.request, file.heldBytes())
  }
}
