import { spawn } from 'node:child_process'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { answers, isMounted, recoverStaleMount, unmountFilesystem } from '../mount/lifecycle'
import { pollUntil, withDeadline } from '../util/deadline'

/** Longest a volume's mount may take to come up (it starts like any `dnpipes mount`). */
const READY_TIMEOUT_MS = 20_000
const READY_POLL_MS = 50
/** A mount that does not answer a stat of its top this soon is not served. */
const ANSWER_TIMEOUT_MS = 2000
/** Lines of a failed mount's log told in the error. */
const LOG_LINES_TOLD = 5

/** The command that serves a volume's mount on `mountpoint` (`dnpipes mount … --root PATH`). */
export type ServerCommand = (mountpoint: string) => { file: string, args: string[], env: NodeJS.ProcessEnv }

/**
 * The mounts of the volumes, one `dnpipes mount` each under `dir`/mounts/NAME, started in a
 * session of their own so that they outlive the driver (a restart of the driver, or of the
 * container engine, leaves every running container's volume served), with their output in
 * `dir`/logs/NAME.log. Which process serves a mount is read from the kernel's mount table, as
 * `dnpipes unmount` does.
 */
export class VolumeMounts {
  constructor (readonly dir: string) {}

  mountpoint (name: string): string {
    return path.join(this.dir, 'mounts', name)
  }

  logFile (name: string): string {
    return path.join(this.dir, 'logs', `${name}.log`)
  }

  /** Whether the volume's mount is there and its server answers (see answers()). */
  async served (name: string): Promise<boolean> {
    const mountpoint = this.mountpoint(name)
    if (!await isMounted(mountpoint)) return false
    try {
      await withDeadline(answers(mountpoint), ANSWER_TIMEOUT_MS, `statfs of ${mountpoint}`)
      return true
    } catch {
      return false
    }
  }

  /**
   * The volume's mountpoint, served: started when it is not (a mount left by a server that died
   * is detached first). Fails with the end of the server's log when it cannot start.
   */
  async serve (name: string, command: ServerCommand): Promise<string> {
    const mountpoint = this.mountpoint(name)
    if (await this.served(name)) return mountpoint
    // Mounted, not served: a dead server's mount, detached before the new one mounts there.
    await recoverStaleMount(mountpoint)
    await fs.mkdir(mountpoint, { recursive: true })
    await fs.mkdir(path.dirname(this.logFile(name)), { recursive: true, mode: 0o700 })
    const log = await fs.open(this.logFile(name), 'a', 0o600)
    const { file, args, env } = command(mountpoint)
    let exited: string | undefined
    try {
      const server = spawn(file, args, { env, detached: true, stdio: ['ignore', log.fd, log.fd] })
      server.once('exit', (code, signal) => { exited = signal ?? String(code) })
      server.once('error', err => { exited = err.message })
      server.unref()
    } finally {
      await log.close()
    }
    const ready = await pollUntil(async () => exited !== undefined || await this.served(name), { timeoutMs: READY_TIMEOUT_MS, intervalMs: READY_POLL_MS })
    if (ready && exited === undefined) return mountpoint
    throw new Error(`the mount of volume ${name} ${exited === undefined ? `did not come up within ${READY_TIMEOUT_MS / 1000} s` : `exited (${exited})`}: ${await this.logTail(name)}`)
  }

  /** Ends the volume's mount (its server unmounts cleanly; a dead one's mount is detached). */
  async stop (name: string): Promise<void> {
    const mountpoint = this.mountpoint(name)
    if (await isMounted(mountpoint)) await unmountFilesystem(mountpoint, true)
  }

  /**
   * Forgets the volume's mountpoint and log. Never recursive: were the mount still there, that
   * would remove the volume's topics through it.
   */
  async remove (name: string): Promise<void> {
    const mountpoint = this.mountpoint(name)
    if (await isMounted(mountpoint)) throw new Error(`${mountpoint} is still mounted`)
    await fs.rmdir(mountpoint).catch(err => { if (err.code !== 'ENOENT') throw err })
    await fs.rm(this.logFile(name), { force: true })
  }

  private async logTail (name: string): Promise<string> {
    const text = await fs.readFile(this.logFile(name), 'utf8').catch(() => '')
    return text.trim().split('\n').slice(-LOG_LINES_TOLD).join(' / ') || 'no output'
  }
}
