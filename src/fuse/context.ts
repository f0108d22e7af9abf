/**
 * The request being dispatched: who made it and whether it was interrupted. JavaScript serves
 * one request at a time up to its first await, so an operation reads this synchronously, at
 * its start, as C reads its thread's fuse_req_ctx().
 */
export interface RequestContext {
  uid: number
  gid: number
  /** The calling thread's id (the process id for a single-threaded process). */
  tid: number
  /** The caller's umask where the request carries it (CREATE, MKDIR, MKNOD), else 0. */
  umask: number
  /** The kernel's opcode (see protocol.ts). */
  opcode: number
  /** The kernel's number for the request; bit 63 is set on a request asked for again (resent). */
  unique: bigint
  /** Aborted when the kernel interrupts the request (the caller got a signal). */
  signal: AbortSignal
}

/**
 * A request's context, whose signal is made only when an operation asks for it: most answer
 * without waiting on anything, and an AbortController per request costs them all.
 */
export class RequestState implements RequestContext {
  private controller: AbortController | undefined
  private interrupted = false

  constructor (readonly uid: number, readonly gid: number, readonly tid: number, readonly umask: number, readonly opcode: number, readonly unique: bigint) {}

  get signal (): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController()
      if (this.interrupted) this.controller.abort()
    }
    return this.controller.signal
  }

  /** The kernel interrupted the request, or the connection ended. */
  interrupt (): void {
    this.interrupted = true
    this.controller?.abort()
  }
}

let current: RequestContext | undefined

/** The request being dispatched now; undefined outside one. */
export function currentRequest (): RequestContext | undefined {
  return current
}

/** Runs `dispatch` with `context` as the current request. */
export function withRequest<T> (context: RequestContext, dispatch: () => T): T {
  const outer = current
  current = context
  try {
    return dispatch()
  } finally {
    current = outer
  }
}
