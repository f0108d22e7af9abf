import { currentRequest } from '../fuse/context'

/**
 * Who made the FUSE request being served: its uid, gid and pid from the request's header, the
 * umask where the request carries one (create, mkdir), and the kernel's opcode. The FUSE layer
 * (src/fuse/context.ts) makes the request current while it is dispatched; JavaScript serves it
 * synchronously up to its first await, so an operation reads its caller there.
 */
export interface Caller {
  uid: number
  gid: number
  /** The calling thread's id (the process id for a single-threaded process). */
  tid: number
  umask: number
  opcode: number
  /** The kernel's number for the request (see RequestContext.unique). */
  unique?: bigint
  /** Aborts when the kernel interrupts the request: a signal reached the caller while it waited. */
  signal?: AbortSignal
}

/** The caller of the request being dispatched now; undefined outside a request. */
export function currentCaller (): Caller | undefined {
  return currentRequest()
}
