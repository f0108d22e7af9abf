import debug from 'debug'
import { RequestState, withRequest } from './context'
import { Errno } from './errno'
import type { NativeFuse } from './native'
import { FUSE_KERNEL_MINOR_VERSION, FUSE_KERNEL_VERSION, FUSE_OLDEST_MINOR_VERSION, HAS_RESEND_FLAG2, InitFlag, MAX_PAGES, MAX_WRITE, REQUEST_BUFFER_SIZE } from './protocol'
import { initOut, outHeader, resend } from './reply'
import { decodeRequest, Request } from './request'

const log = debug('dnpipes:fuse')


/** Answers one request, at most once. */
export interface Reply {
  /** Success, with the reply's body (nothing for an empty one). */
  ok (...body: Buffer[]): void
  /** Failure with a negative errno. */
  error (code: number): void
}

/** Answers an operation's result code: success for 0, else that (negative) errno. */
export function answer (reply: Reply, code: number): void {
  if (code === 0) reply.ok()
  else reply.error(code)
}

/** What a filesystem served by a session implements; `handle` is called once per request. */
export interface RequestHandler {
  /** The caller and the abort signal of the request are in currentRequest() (context.ts). */
  handle (request: Request, reply: Reply): void
  /** The INIT flags it wants from those the kernel offers. */
  initFlags (offered: number): number
}

export interface SessionOptions {
  /** Requests the kernel may have in the background (reads ahead, async direct I/O). @default 64 */
  maxBackground?: number
  /**
   * What INIT agreed on a connection another server served before this one: no INIT comes, and
   * the requests that server read and never answered are asked for again (see resume()).
   */
  resume?: Negotiated
  /** Told what INIT agreed, once it is answered. */
  onInit?: (negotiated: Negotiated) => void
  /** Called before anything is written to the kernel (see restart/journal-file.ts: state goes first). */
  beforeWrite?: () => void
}

/** What INIT agreed, for a server that takes the connection over (see SessionOptions.resume). */
export interface Negotiated {
  minor: number
  flags: number
  /** The kernel's flags2 as it offered them. */
  offered2: number
}

/**
 * One FUSE connection: reads requests on the event loop (native/channel.c), answers INIT, hands
 * every other request to the handler with a Reply bound to it, turns INTERRUPT into an abort of
 * the request it names, and writes notifications. The state of the connection (what was
 * negotiated, what is in flight) lives here, in JavaScript.
 */
export class FuseSession {
  private channel: unknown
  private readonly buffer = Buffer.allocUnsafe(REQUEST_BUFFER_SIZE)
  private readonly inFlight = new Map<bigint, RequestState>()
  private initialized = false
  /** The protocol minor agreed in INIT. */
  minor = 0
  /** The INIT flags in force. */
  flags = 0
  private offered2 = 0
  readonly ended: Promise<number>
  private resolveEnded!: (errno: number) => void

  constructor (private readonly native: NativeFuse, readonly fd: number, private readonly handler: RequestHandler, private readonly options: SessionOptions = {}) {
    this.ended = new Promise(resolve => { this.resolveEnded = resolve })
  }

  start (): void {
    this.channel = this.native.open(this.fd, this.buffer, length => this.onRequest(length), errno => this.onEnd(errno))
    if (this.options.resume) this.resume(this.options.resume)
  }

  /**
   * Takes over a connection whose INIT another server answered. The kernel is asked to queue
   * again what that server read and never answered (their uniques then carry bit 63, and so do
   * the replies). A kernel without FUSE_NOTIFY_RESEND cannot: whoever closes the descriptor that
   * server read through ends those requests (restart/supervisor.ts).
   */
  private resume (negotiated: Negotiated): void {
    this.minor = negotiated.minor
    this.flags = negotiated.flags
    this.offered2 = negotiated.offered2
    this.initialized = true
    if ((negotiated.offered2 & HAS_RESEND_FLAG2) === 0) return log('the kernel cannot send requests again: none asked')
    const written = this.notify(resend())
    if (written < 0) log('resend refused: errno %d', -written)
  }

  /** What INIT agreed (for the next server); undefined before INIT. */
  get negotiated (): Negotiated | undefined {
    return this.initialized ? { minor: this.minor, flags: this.flags, offered2: this.offered2 } : undefined
  }

  /**
   * Reads no more requests, and answers those being served: the next server is asked to resend
   * whatever is still unanswered when this one exits.
   */
  pause (): void {
    if (this.channel !== undefined) this.native.pause(this.channel)
  }

  /** Stops reading requests (before the descriptor is closed by unmount). */
  stop (): void {
    if (this.channel === undefined) return
    this.native.close(this.channel)
    this.channel = undefined
    this.resolveEnded(0)
  }

  /** How many requests are being answered now. */
  get pending (): number {
    return this.inFlight.size
  }

  /**
   * Writes a notification (reply.ts's invalInode, invalEntry): 0, or the negative errno the
   * kernel refused it with (ENOENT: it holds no such node); ENOTCONN before INIT or after the end.
   */
  notify (chunks: Buffer[]): number {
    if (this.channel === undefined || !this.initialized) return Errno.ENOTCONN
    this.options.beforeWrite?.()
    const written = this.native.write(this.channel, ...chunks)
    if (written < 0 && written !== Errno.ENOENT) log('notification refused: errno %d', -written)
    return Math.min(written, 0)
  }

  /** Lookups of `name` in `parent` answered by the reader from `reply` (native/held-entries.h); see held-lookups.ts. */
  hold (parent: number, name: Buffer, reply: Buffer): number {
    return this.channel === undefined ? 0 : this.native.hold(this.channel, parent, name, reply)
  }

  /** The reader no longer answers lookups of `name` in `parent`; the lookups it answered. */
  drop (parent: number, name: Buffer): number {
    return this.channel === undefined ? 0 : this.native.drop(this.channel, parent, name)
  }

  private onEnd (errno: number): void {
    log('connection ended (errno %d)', errno)
    this.channel = undefined
    for (const state of this.inFlight.values()) state.interrupt()
    this.resolveEnded(errno)
  }

  private write (unique: bigint, error: number, body: Buffer[]): void {
    if (this.channel === undefined) return
    let length = 0
    for (const chunk of body) length += chunk.length
    this.options.beforeWrite?.()
    const written = this.native.write(this.channel, outHeader(length, error, unique), ...body)
    // ENOENT: the request was interrupted and the kernel has dropped it; nothing to do.
    if (written < 0 && written !== Errno.ENOENT) log('reply to %s refused: errno %d', unique, -written)
  }

  private onRequest (length: number): void {
    let request: Request
    try {
      request = decodeRequest(this.buffer, length)
    } catch (err) {
      log('%s', (err as Error).message)
      // The header alone is enough to answer; without one the connection cannot go on.
      if (length >= 16) this.write(this.buffer.readBigUInt64LE(8), Errno.EPROTO, [])
      return
    }
    if (request.args.kind === 'init') return this.init(request)
    if (!this.initialized) return this.write(request.unique, Errno.EIO, [])
    if (request.args.kind === 'unknown') return this.write(request.unique, Errno.ENOSYS, [])
    if (request.args.kind === 'interrupt') {
      this.inFlight.get(request.args.target)?.interrupt()
      return
    }
    const forget = request.args.kind === 'forget'
    const state = new RequestState(request.uid, request.gid, request.pid, umaskOf(request), request.opcode, request.unique)
    const unique = request.unique
    if (!forget) this.inFlight.set(unique, state)
    let answered = false
    const answer = (error: number, body: Buffer[]): void => {
      if (answered) return
      answered = true
      this.inFlight.delete(unique)
      this.write(unique, error, body)
    }
    const reply: Reply = {
      ok: (...body) => answer(0, body),
      error: code => answer(code < 0 ? code : -code, [])
    }
    try {
      withRequest(state, () => this.handler.handle(request, reply))
    } catch (err) {
      log('opcode %d: %s', request.opcode, (err as Error).stack)
      if (!forget) reply.error(Errno.EIO)
    }
  }

  private init (request: Request): void {
    if (request.args.kind !== 'init') return
    const { major, minor, maxReadahead, flags } = request.args
    log('INIT: kernel %d.%d, flags 0x%s', major, minor, flags.toString(16))
    if (major !== FUSE_KERNEL_VERSION || minor < FUSE_OLDEST_MINOR_VERSION) {
      log('INIT: protocol %d.%d is not supported (7.%d or newer is)', major, minor, FUSE_OLDEST_MINOR_VERSION)
      return this.write(request.unique, Errno.EPROTO, [])
    }
    this.minor = Math.min(minor, FUSE_KERNEL_MINOR_VERSION)
    this.offered2 = request.args.flags2
    const wanted = this.handler.initFlags(flags) | InitFlag.BIG_WRITES | InitFlag.MAX_PAGES
    this.flags = wanted & flags
    const maxBackground = this.options.maxBackground ?? 64
    this.write(request.unique, 0, [initOut({
      minor: this.minor,
      maxReadahead,
      flags: this.flags,
      maxBackground,
      congestionThreshold: Math.floor(maxBackground * 3 / 4),
      maxWrite: MAX_WRITE,
      maxPages: MAX_PAGES
    })])
    this.initialized = true
    this.options.onInit?.(this.negotiated!)
  }
}

function umaskOf (request: Request): number {
  const args = request.args
  return args.kind === 'create' || args.kind === 'mkdir' || args.kind === 'mknod' ? args.umask : 0
}
