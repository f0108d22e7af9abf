import { ChildProcess, spawn } from 'node:child_process'
import { Test } from 'tap'
import { CLI } from '../../scripts/support/mount'
import { sh, track } from '../../scripts/support/processes'
import { waitFor } from '../../scripts/support/redis-server'
import { numberedWriter, WriterReport } from './writer'

/** Followers of a topic under load, and the check of what they got against what was acknowledged. */

export interface Follower {
  name: string
  child: ChildProcess
  output (): string
}

export function startFollower (name: string, command: string, args: string[]): Follower {
  const child = track(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }))
  let output = ''
  child.stdout!.on('data', chunk => { output += chunk })
  return { name, child, output: () => output }
}

/** A follower of every kind: the two views on the mount `dir`, and the CLI's with `targetArgs`. */
export function followersOf (t: Test, dir: string, targetArgs: string[], topic: string): Follower[] {
  const followers = [
    startFollower('.follow/', 'cat', [`${dir}/.follow/${topic}`]),
    startFollower('.live/', 'cat', [`${dir}/.live/${topic}`]),
    startFollower('pull --follow', process.execPath, [CLI, 'pull', topic, '--follow', ...targetArgs]),
    startFollower('pull --live', process.execPath, [CLI, 'pull', topic, '--live', ...targetArgs])
  ]
  t.teardown(() => { for (const follower of followers) follower.child.kill('SIGKILL') })
  return followers
}

const pause = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** Pushes marker lines through `file` until every follower got one: the .live ones have opened. */
export async function untilListening (followers: Follower[], file: string): Promise<void> {
  for (let marker = 0; !followers.every(f => f.output().includes('marker ')); marker++) {
    await sh(`echo marker ${marker} >> ${file}`)
    await pause(100)
  }
}

/**
 * How long the writers of startWriters go on once a test's faults are over: writes must work
 * again by then (a frozen Redis's writes fail after --op-timeout, 1 s in these tests).
 */
export const RECOVERY_MS = 3000

export interface Writers {
  /** Lets the writers go on for RECOVERY_MS, then stops them: their reports. */
  finish (): Promise<Map<string, WriterReport>>
}

/**
 * Writers "w1 N", "w2 N", … through one open file each, the i-th on files[i % files.length],
 * until the test says its faults are over (Writers.finish).
 */
export function startWriters (files: string[], count: number): Writers {
  const stop = new AbortController()
  const reports = Promise.all(Array.from({ length: count }, (_, i) => {
    const prefix = `w${i + 1}`
    return numberedWriter(files[i % files.length]!, { pauseMs: 3, prefix, stop: stop.signal }).then(report => [prefix, report] as const)
  })).then(reports => new Map(reports))
  return {
    finish: async () => {
      await pause(RECOVERY_MS)
      stop.abort()
      return await reports
    }
  }
}

/** Resolves once every writer has pushed its line `n` (read through `file`). */
export async function untilWriting (file: string, count: number, n = 10): Promise<void> {
  await waitFor(async () => {
    const pushed = (await sh(`cat ${file}`)).stdout.toString()
    return Array.from({ length: count }, (_, i) => `\nw${i + 1} ${n}\n`).every(line => pushed.includes(line))
  }, 10_000, 'every writer to be pushing')
}

function hasEveryAcknowledged (follower: Follower, writers: Map<string, WriterReport>): boolean {
  const output = follower.output()
  return [...writers].every(([prefix, report]) => report.acknowledged.every(n => output.includes(`\n${prefix} ${n}\n`)))
}

/**
 * Waits until every follower has every acknowledged line, then checks each: still running, its
 * history first (`history`, unless it is a .live one), every writer's acknowledged lines once
 * each and in order, nothing torn. Lines whose write failed may be there (Redis may have
 * applied them), but also only once.
 */
export async function checkFollowers (t: Test, followers: Follower[], writers: Map<string, WriterReport>, history: string[]): Promise<void> {
  await waitFor(async () => followers.every(follower => hasEveryAcknowledged(follower, writers)), 15_000, 'every follower to catch up')
  for (const follower of followers) {
    t.equal(follower.child.exitCode, null, `${follower.name}: still running`)
    const lines = follower.output().split('\n').filter(line => !line.startsWith('marker '))
    t.equal(lines.pop(), '', `${follower.name}: ends with a whole line`)
    const expected = follower.name.includes('live') ? [] : history
    t.same(lines.slice(0, expected.length), expected, `${follower.name}: the history first`)
    const byWriter = new Map<string, number[]>()
    let torn = 0
    for (const line of lines.slice(expected.length)) {
      const match = /^(w\d+) (\d+)$/.exec(line)
      if (!match) { torn++; continue }
      byWriter.set(match[1]!, [...(byWriter.get(match[1]!) ?? []), Number(match[2])])
    }
    t.equal(torn, 0, `${follower.name}: no torn or foreign line`)
    for (const [writer, report] of writers) {
      const got = byWriter.get(writer) ?? []
      t.ok(got.every((n, i) => i === 0 || n > got[i - 1]!), `${follower.name}: ${writer}'s ${got.length} lines once each, in order (${report.acknowledged.length} acknowledged)`)
    }
  }
}
