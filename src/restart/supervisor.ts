import { ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync } from 'node:fs'
import { nativeFuse } from '../fuse/native'
import { HAS_RESEND_FLAG2 } from '../fuse/protocol'
import type { Negotiated } from '../fuse/session'
import { mountLog } from '../log'
import { HANDOVER_ENV, SERVER_FD, ServerHandover, ServerMessage, SupervisorMessage } from './handover'
import { RestartDelay } from './restart-delay'
import { makeStateDir, removeStateDir } from './state-dir'

/** How long a server asked to stop may take before it is killed and the mount taken away. */
const STOP_TIMEOUT_MS = 10_000

export interface SuperviseOptions {
  /** Absolute; stale mounts already recovered and the directory made. */
  mountpoint: string
  /** The mount's -o options; fsname (this process's pid, for `dnpipes unmount`) is added here. */
  mountOptions: string[]
  /** The server's command line after node's own arguments: the CLI's script and `mount …`. */
  serverArgs: string[]
}

interface ServerRun {
  child: ChildProcess
  startedAt: number
  served: boolean
  /** Set when the server said why it ends the mount. */
  stopping?: string
  handedOver: boolean
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

/**
 * `dnpipes mount`'s own process: mounts, keeps the connection's descriptor, and starts the
 * server that serves it (the same command, as `dnpipes-server`, with the descriptor as fd 3).
 * When that server dies, the next one takes over the same connection: the kernel keeps the mount
 * and the callers' requests wait; the new server asks for those the dead one never answered
 * (FuseSession.resume) and takes over its nodes and open files from the state journal. SIGUSR2
 * hands the connection over to a server started from the code installed now (an upgrade);
 * SIGTERM, SIGINT and SIGHUP stop the server and unmount. Resolves with the exit code.
 */
export async function superviseMount (options: SuperviseOptions): Promise<number> {
  const native = nativeFuse()
  const mountOptions = [`fsname=dnpipes:${process.pid}`, 'subtype=dnpipes', ...options.mountOptions]
  const { session, fd } = await native.mount(options.mountpoint, mountOptions.join(',')).catch((err: Error & { detail?: string }) => {
    if (err.detail) err.message = `${err.message} (${err.detail})`
    throw err
  })
  mountLog('mounted %s with %s', options.mountpoint, mountOptions.join(','))
  let stateDir: string | undefined
  // Each server reads through a descriptor of its own, which this process keeps too (see below).
  let serverFd: number
  try {
    stateDir = makeStateDir(options.mountpoint)
    serverFd = native.clone(fd)
  } catch (err) {
    if (stateDir !== undefined) removeStateDir(stateDir)
    await native.unmount(session).catch(() => undefined)
    throw err
  }
  const journalDir = stateDir
  const writer = randomBytes(8).toString('hex')
  const delay = new RestartDelay()
  let negotiated: Negotiated | undefined
  let stopRequested: string | undefined
  let current: ServerRun | undefined
  let wakeUp: (() => void) | undefined

  const stop = (signal: string): void => {
    stopRequested ??= signal
    if (current) current.child.kill('SIGTERM')
    wakeUp?.()
  }
  const onSignal = (signal: NodeJS.Signals): void => stop(signal)
  const upgrade = (): void => {
    if (!current?.served) return console.error('dnpipes: SIGUSR2: no server serves the mount now; the next one started is the installed version anyway')
    console.error(`dnpipes: SIGUSR2: handing ${options.mountpoint} over to a new server`)
    current.child.send({ kind: 'hand-over' } satisfies SupervisorMessage)
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal)
  process.on('SIGUSR2', upgrade)

  let exitCode = 0
  let served = false
  try {
    for (let generation = 0; stopRequested === undefined; generation++) {
      const run = startServer(options.serverArgs, { mountPid: process.pid, fd: SERVER_FD, writer, stateDir: journalDir, generation, negotiated }, serverFd, message => {
        if (message.kind === 'init') negotiated = withoutResendIfAsked(message.negotiated)
        else if (message.kind === 'ready') run.served = served = true
        else if (message.kind === 'stopping') run.stopping = message.reason
        else if (message.kind === 'handed-over') run.handedOver = true
      })
      current = run
      const killer = setTimeoutOnStop(run, () => stopRequested !== undefined)
      const { code, signal } = await run.exited
      clearInterval(killer)
      current = undefined
      if (stopRequested !== undefined || run.stopping !== undefined) break
      if (!run.served && generation === 0) {
        // It said why on stderr (Redis unreachable, bad options): nothing was ever served.
        exitCode = code ?? 1
        break
      }
      if (!canResend(negotiated)) {
        // The kernel cannot send again what this server read: closing its descriptor makes the
        // kernel answer those requests ECONNABORTED, where they would wait for ever.
        closeSync(serverFd)
        serverFd = native.clone(fd)
      }
      if (run.handedOver) {
        mountLog('server %d handed over', run.child.pid)
        continue
      }
      const pause = delay.after(Date.now() - run.startedAt, run.served)
      console.error(`dnpipes: the server of ${options.mountpoint} (pid ${run.child.pid}) ${signal ? `died of ${signal}` : `exited with code ${code}`}; ${pause > 0 ? `starting another in ${pause} ms` : 'starting another'}`)
      if (pause > 0) await new Promise<void>(resolve => { wakeUp = resolve; setTimeout(resolve, pause) })
      wakeUp = undefined
    }
  } finally {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(signal, onSignal)
    process.off('SIGUSR2', upgrade)
    closeSync(serverFd)
    await native.unmount(session).catch(err => mountLog('unmount: %s', (err as Error).message))
    removeStateDir(journalDir)
  }
  if (served) console.log(`dnpipes: unmounted ${options.mountpoint}`)
  return exitCode
}

/** Whether the kernel sends again the requests a server read and never answered (FUSE_NOTIFY_RESEND). */
function canResend (negotiated: Negotiated | undefined): boolean {
  return negotiated !== undefined && (negotiated.offered2 & HAS_RESEND_FLAG2) !== 0
}

/**
 * What INIT agreed, as if the kernel could not send requests again when DNPIPES_NO_RESEND=1: how
 * a mount behaves on kernels before 6.9, tried on a newer one.
 */
function withoutResendIfAsked (negotiated: Negotiated): Negotiated {
  if (process.env.DNPIPES_NO_RESEND !== '1') return negotiated
  return { ...negotiated, offered2: negotiated.offered2 & ~HAS_RESEND_FLAG2 }
}

function startServer (args: string[], handover: ServerHandover, fd: number, onMessage: (message: ServerMessage) => void): ServerRun {
  const child = spawn(process.execPath, [...process.execArgv, ...args], {
    stdio: ['inherit', 'inherit', 'inherit', fd, 'ipc'],
    env: { ...process.env, [HANDOVER_ENV]: JSON.stringify(handover) }
  })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>(resolve => {
    child.once('exit', (code, signal) => resolve({ code, signal }))
    child.once('error', err => {
      console.error(`dnpipes: cannot start the server: ${err.message}`)
      resolve({ code: 1, signal: null })
    })
  })
  child.on('message', message => onMessage(message as ServerMessage))
  mountLog('server %d started (generation %d)', child.pid, handover.generation)
  return { child, startedAt: Date.now(), served: false, handedOver: false, exited }
}

/** Kills a server that was asked to stop and did not within STOP_TIMEOUT_MS. */
function setTimeoutOnStop (run: ServerRun, stopping: () => boolean): NodeJS.Timeout {
  let since: number | undefined
  return setInterval(() => {
    if (!stopping()) return
    since ??= Date.now()
    if (Date.now() - since >= STOP_TIMEOUT_MS) run.child.kill('SIGKILL')
  }, 500)
}
