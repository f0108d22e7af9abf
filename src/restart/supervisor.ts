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
  try {
    stateDir = makeStateDir(options.mountpoint)
    return await new Supervisor(options, fd, stateDir).run()
  } finally {
    await native.unmount(session).catch(err => mountLog('unmount: %s', (err as Error).message))
    if (stateDir !== undefined) removeStateDir(stateDir)
  }
}

/** The servers of one connection, one after another (see superviseMount). */
class Supervisor {
  private readonly native = nativeFuse()
  /** Each server reads through a descriptor of its own, which this process keeps too (see next()). */
  private serverFd: number
  private readonly writer = randomBytes(8).toString('hex')
  private readonly delay = new RestartDelay()
  private negotiated: Negotiated | undefined
  private stopRequested: string | undefined
  private current: ServerRun | undefined
  private wakeUp: (() => void) | undefined
  private served = false

  constructor (private readonly options: SuperviseOptions, private readonly fd: number, private readonly stateDir: string) {
    this.serverFd = this.native.clone(fd)
  }

  async run (): Promise<number> {
    const onSignal = (signal: NodeJS.Signals): void => this.stop(signal)
    const upgrade = (): void => this.upgrade()
    for (const signal of STOP_SIGNALS) process.on(signal, onSignal)
    process.on('SIGUSR2', upgrade)
    try {
      for (let generation = 0; this.stopRequested === undefined; generation++) {
        const exitCode = await this.serve(generation)
        if (exitCode !== undefined) return exitCode
      }
      return 0
    } finally {
      for (const signal of STOP_SIGNALS) process.off(signal, onSignal)
      process.off('SIGUSR2', upgrade)
      closeSync(this.serverFd)
      if (this.served) console.log(`dnpipes: unmounted ${this.options.mountpoint}`)
    }
  }

  /** Runs the server of `generation` until it ends; the mount's exit code when the mount ends with it. */
  private async serve (generation: number): Promise<number | undefined> {
    const handover = { mountPid: process.pid, fd: SERVER_FD, writer: this.writer, stateDir: this.stateDir, generation, negotiated: this.negotiated }
    const run = startServer(this.options.serverArgs, handover, this.serverFd, message => {
      if (message.kind === 'init') this.negotiated = withoutResendIfAsked(message.negotiated)
      else if (message.kind === 'ready') run.served = this.served = true
      else if (message.kind === 'stopping') run.stopping = message.reason
      else if (message.kind === 'handed-over') run.handedOver = true
    })
    this.current = run
    const killer = setTimeoutOnStop(run, () => this.stopRequested !== undefined)
    const { code, signal } = await run.exited
    clearInterval(killer)
    this.current = undefined
    if (this.stopRequested !== undefined || run.stopping !== undefined) return 0
    // It said why on stderr (Redis unreachable, bad options): nothing was ever served.
    if (!run.served && generation === 0) return code ?? 1
    this.next()
    if (run.handedOver) {
      mountLog('server %d handed over', run.child.pid)
      return undefined
    }
    const pause = this.delay.after(Date.now() - run.startedAt, run.served)
    console.error(`dnpipes: the server of ${this.options.mountpoint} (pid ${run.child.pid}) ${signal ? `died of ${signal}` : `exited with code ${code}`}; ${pause > 0 ? `starting another in ${pause} ms` : 'starting another'}`)
    if (pause > 0) await new Promise<void>(resolve => { this.wakeUp = resolve; setTimeout(resolve, pause) })
    this.wakeUp = undefined
    return undefined
  }

  /**
   * The descriptor of the next server. Where the kernel cannot send again what the last one
   * read, that one's descriptor is closed, and the kernel answers those requests ECONNABORTED,
   * where they would wait for ever.
   */
  private next (): void {
    if (canResend(this.negotiated)) return
    closeSync(this.serverFd)
    this.serverFd = this.native.clone(this.fd)
  }

  private stop (signal: string): void {
    this.stopRequested ??= signal
    this.current?.child.kill('SIGTERM')
    this.wakeUp?.()
  }

  private upgrade (): void {
    const current = this.current
    if (!current?.served) return console.error('dnpipes: SIGUSR2: no server serves the mount now; the next one started is the installed version anyway')
    console.error(`dnpipes: SIGUSR2: handing ${this.options.mountpoint} over to a new server`)
    current.child.send({ kind: 'hand-over' } satisfies SupervisorMessage)
  }
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

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

/** How often a stopping server is looked at (setTimeoutOnStop). */
const STOP_CHECK_MS = 500

/** Kills a server that was asked to stop and did not within STOP_TIMEOUT_MS. */
function setTimeoutOnStop (run: ServerRun, stopping: () => boolean): NodeJS.Timeout {
  let since: number | undefined
  return setInterval(() => {
    if (!stopping()) return
    since ??= Date.now()
    if (Date.now() - since >= STOP_TIMEOUT_MS) run.child.kill('SIGKILL')
  }, STOP_CHECK_MS)
}
