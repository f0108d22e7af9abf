import type { Negotiated } from '../fuse/session'

/**
 * What the mount process (supervisor.ts) tells each server it starts, in DNPIPES_SERVER:
 * the connection's descriptor, the directory of the state journal, how many servers served the
 * connection before, and what INIT agreed when one did.
 */
export interface ServerHandover {
  /** The mount process's pid (the mount's, in fsname and in consumer names). */
  mountPid: number
  fd: number
  /** Who the mount is to Redis when it writes (see FilesystemOptions.writer). */
  writer: string
  stateDir: string
  generation: number
  negotiated?: Negotiated
}

export const HANDOVER_ENV = 'DNPIPES_SERVER'
/** The connection's descriptor in a server: the first after stdin, stdout and stderr. */
export const SERVER_FD = 3

/** What a server tells the mount process, over the IPC channel. */
export type ServerMessage =
  /** INIT was answered: the next server needs this. */
  | { kind: 'init', negotiated: Negotiated }
  /** The mount is served (the first server printed "mounted"). */
  | { kind: 'ready' }
  /** The server ends the mount: it was unmounted from outside, or asked to stop. */
  | { kind: 'stopping', reason: string }
  /** The server stopped reading requests for the next one to take over; it exits next. */
  | { kind: 'handed-over' }

/** What the mount process asks of a server. */
export type SupervisorMessage = { kind: 'hand-over' }

/** The handover this process was started with, when it is a server; undefined otherwise. */
export function serverHandover (env: NodeJS.ProcessEnv = process.env): ServerHandover | undefined {
  const text = env[HANDOVER_ENV]
  if (text === undefined) return undefined
  const handover = JSON.parse(text) as ServerHandover
  if (!Number.isInteger(handover.mountPid) || !Number.isInteger(handover.fd) || typeof handover.writer !== 'string' || typeof handover.stateDir !== 'string' || !Number.isInteger(handover.generation)) {
    throw new Error(`${HANDOVER_ENV} is not a server handover: ${text}`)
  }
  return handover
}

/** Handles of the server of `generation` start here, apart from those of the servers before it. */
export function firstHandleOf (generation: number): number {
  return generation * 2 ** 32
}
