import { ChildProcess, spawn, spawnSync } from 'node:child_process'

/**
 * Child processes and mounts the tests, the benchmark and the soak test start, so that they are
 * stopped even when a test or a workload fails or the run is interrupted. No process that
 * imports this serves a mount itself, so synchronous calls at exit are safe here.
 */
const children = new Set<ChildProcess>()
const mountpoints = new Set<string>()

export function track (child: ChildProcess): ChildProcess {
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

export function trackMount (dir: string): void {
  mountpoints.add(dir)
}

export function untrackMount (dir: string): void {
  mountpoints.delete(dir)
}

function cleanUp (): void {
  for (const child of children) {
    try { child.kill('SIGKILL') } catch {}
  }
  for (const dir of mountpoints) spawnSync('fusermount', ['-uz', dir])
}

process.once('exit', cleanUp)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => { cleanUp(); process.exit(1) })
}
// tap times a test file out with SIGALRM, and sends SIGKILL half a second later: clean up at
// once, and leave the reporting to tap (left to the exit, the servers outlived the test).
process.once('SIGALRM', cleanUp)

export interface Result {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: Buffer
  stderr: string
}

export interface RunOptions {
  cwd?: string
  input?: Buffer | string
  env?: NodeJS.ProcessEnv
  timeoutMs?: number
  /** Keeps the child's stdin open (after `input`) until this aborts: a way to tell it to finish. */
  stdinUntil?: AbortSignal
}

/** Runs a command to completion, asynchronously, and collects its output. */
export function run (file: string, args: string[], options: RunOptions = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = track(spawn(file, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] }))
    const out: Buffer[] = []
    let err = ''
    child.stdout!.on('data', chunk => out.push(chunk))
    child.stderr!.on('data', chunk => { err += chunk })
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: err })
    })
    child.stdin!.on('error', () => undefined)
    const until = options.stdinUntil
    if (!until) {
      child.stdin!.end(options.input ?? '')
      return
    }
    if (options.input !== undefined) child.stdin!.write(options.input)
    if (until.aborted) child.stdin!.end()
    else until.addEventListener('abort', () => child.stdin!.end(), { once: true })
  })
}

/** `sh -c script`, in a child process, as a user at a shell would. */
export function sh (script: string, options: RunOptions = {}): Promise<Result> {
  return run('sh', ['-c', script], options)
}

/** `value` as one word of a shell command, whatever it holds. */
export function shellQuote (value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`
}

/** `bash -c script`, for the real errno messages (dash prints "I/O error" for any failure). */
export function bash (script: string, options: RunOptions = {}): Promise<Result> {
  return run('bash', ['-c', script], options)
}
