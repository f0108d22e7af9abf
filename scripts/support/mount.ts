import { ChildProcess, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import tmp from 'tmp'
import { run, track, trackMount, untrackMount } from './processes'
import { waitFor } from './redis-server'

/**
 * A daemon still running this long after SIGTERM is killed, so that no test leaves one behind.
 * Well above what a stop may take by design: a Redis that stops answering holds each of the
 * daemon's last commands for up to the 5 s operation timeout.
 */
const STOP_BACKSTOP_MS = 15_000

/** From dist/scripts/support/ to the built CLI in dist/src/. */
export const CLI = path.resolve(__dirname, '../../src/cli.js')

export interface MountedDir {
  dir: string
  /** The Redis URL it was mounted with (undefined: the embedded server). */
  url: string | undefined
  daemon: ChildProcess
  /** Everything the daemon printed so far. */
  output (): string
  /** Resolves with the daemon's exit code (or signal name). */
  exited: Promise<number | string>
  /** SIGTERM, then make sure nothing is left mounted; resolves with how the daemon exited. */
  stop (): Promise<number | string>
}

export interface MountOptions {
  args?: string[]
  env?: NodeJS.ProcessEnv
  dir?: string
  /** A command the daemon runs under, such as nsenter for a test host. */
  wrapper?: string[]
}

/** Spawns `dnpipes mount` on a fresh temporary directory and waits for its ready line. */
export async function mount (redisUrl: string | undefined, options: MountOptions = {}): Promise<MountedDir> {
  const dir = options.dir ?? tmp.dirSync({ prefix: 'dnpipes-mnt-' }).name
  const args = [CLI, 'mount', dir, ...(redisUrl ? ['--redis', redisUrl] : []), ...(options.args ?? [])]
  const mounted = await serveMount(dir, [...(options.wrapper ?? []), process.execPath, ...args], 'dnpipes: mounted', options.env)
  return { ...mounted, url: redisUrl }
}

/**
 * Runs `command`, a process that serves a FUSE mount on `dir` and prints `ready` once it does;
 * stop() ends it and makes sure nothing is left mounted, pass or fail.
 */
export async function serveMount (dir: string, command: string[], ready: string, env: NodeJS.ProcessEnv = process.env): Promise<MountedDir> {
  const [file, ...fileArgs] = command
  const daemon = track(spawn(file!, fileArgs, { env, stdio: ['ignore', 'pipe', 'pipe'] }))
  trackMount(dir)
  let output = ''
  daemon.stdout!.on('data', chunk => { output += chunk })
  daemon.stderr!.on('data', chunk => { output += chunk })
  const exited = new Promise<number | string>(resolve => daemon.once('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mount did not become ready: ${output}`)), 10_000)
    const check = (): void => {
      if (output.includes(ready)) { clearTimeout(timer); resolve() }
    }
    daemon.stdout!.on('data', check)
    exited.then(code => { clearTimeout(timer); reject(new Error(`mount exited (${code}): ${output}`)) })
  })
  return {
    dir,
    url: undefined,
    daemon,
    output: () => output,
    exited,
    async stop () {
      if (daemon.exitCode === null && daemon.signalCode === null) {
        daemon.kill('SIGTERM')
        const timer = setTimeout(() => daemon.kill('SIGKILL'), STOP_BACKSTOP_MS)
        await exited
        clearTimeout(timer)
      }
      await run('fusermount', ['-uz', dir]).catch(() => undefined)
      untrackMount(dir)
      await run('rmdir', [dir]).catch(() => undefined)
      return exited
    }
  }
}

/** The pid of the server serving the mount of mount process `mountPid` (its child `dnpipes-server`). */
export async function serverPid (mountPid: number): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const children = (await run('pgrep', ['-P', String(mountPid), '-x', 'dnpipes-server'])).stdout.toString().trim()
    if (/^\d+$/.test(children)) return Number(children)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  throw new Error(`mount process ${mountPid} has no server`)
}

/** Kills the server of mount process `mountPid` with SIGKILL and resolves once another one serves. */
export async function killServer (mountPid: number): Promise<void> {
  const pid = await serverPid(mountPid)
  process.kill(pid, 'SIGKILL')
  await waitFor(async () => (await serverPid(mountPid)) !== pid, 10_000, 'another server')
}

/**
 * Kills a mount process and its server at once (as the OOM killer or a kill of the whole unit
 * would), and resolves once the server is gone: the mount is then left to the kernel, which
 * answers ENOTCONN.
 */
export async function killMountAndServer (mountPid: number): Promise<void> {
  const server = await serverPid(mountPid)
  // Stopped first, so that neither sees the other die and acts on it (the server would unmount,
  // the mount process start another server) while this process waits between two kills.
  process.kill(server, 'SIGSTOP')
  process.kill(mountPid, 'SIGSTOP')
  process.kill(mountPid, 'SIGKILL')
  process.kill(server, 'SIGKILL')
  for (let attempt = 0; attempt < 500 && alive(server); attempt++) await new Promise(resolve => setTimeout(resolve, 10))
}

/**
 * Whether `pid` still holds its descriptors. A zombie has closed them, but only once all of its
 * threads have exited: a group leader shows as a zombie while its other threads (which share its
 * descriptors, the FUSE device among them) are still on their way out.
 */
function alive (pid: number): boolean {
  try {
    const zombie = /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
    return !zombie || readdirSync(`/proc/${pid}/task`).length > 1
  } catch {
    return false
  }
}
