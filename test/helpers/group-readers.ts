import { ChildProcess, spawn } from 'node:child_process'
import type { Cluster, Redis } from 'ioredis'
import type { Test } from 'tap'
import { track } from '../../scripts/support/processes'
import { waitFor } from '../../scripts/support/redis-server'

/** A reader of a `.group/` file in a child process, with the default SIGINT disposition. */
export interface GroupReaderProcess {
  child: ChildProcess
  /** What it printed so far. */
  output (): string
  /** Resolves with its exit code (or signal name) when it exits. */
  exited: Promise<number | string>
  /** Resolves once its output is complete too: when every process that shared its stdout closed it. */
  finished: Promise<void>
}

/**
 * Runs `script` under bash with FILE set to `file`, as a user's worker would run; killed at the
 * end of the test, pass or fail (the caller tears it down).
 */
export function groupReader (file: string, script: string): GroupReaderProcess {
  const child = track(spawn('env', ['--default-signal=INT', 'bash', '-c', script], { env: { ...process.env, FILE: file }, stdio: ['ignore', 'pipe', 'pipe'] }))
  let output = ''
  child.stdout!.on('data', chunk => { output += chunk })
  child.stderr!.on('data', chunk => { output += chunk })
  const exited = new Promise<number | string>(resolve => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  // The output may still be on its way when the process has exited.
  const finished = new Promise<void>(resolve => child.once('close', () => resolve()))
  return { child, output: () => output, exited, finished }
}

/** The usual worker: one line per job, "TAG job". */
export const WHILE_READ = (tag: string): string => `while read -r job; do echo "${tag} $job"; done < "$FILE"`

/** A worker that takes one job, says so with the time in ms, then works on it for `seconds`. */
export const TAKE_ONE_AND_WORK = (seconds: number): string =>
  `exec 3< "$FILE"; read -r -u 3 job; echo "got $job $(date +%s%3N)"; sleep ${seconds}; echo done`

export async function until (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  await waitFor(async () => await check(), timeoutMs, what)
}

/**
 * Waits until group `group` of `key` has nothing pending, and passes `what`. A reader's exit does
 * not wait for its acknowledgement: the kernel sends RELEASE for the last close in the background.
 */
export async function allAcknowledged (t: Test, client: Redis | Cluster, key: string, group: string, what: string): Promise<void> {
  await until(what, async () => (await client.xpending(key, group) as [number])[0] === 0)
  t.pass(what)
}
