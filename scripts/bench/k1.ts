import { spawn } from 'node:child_process'
import { promises as fs } from 'node:fs'
import { mount, MountedDir, serverPid } from '../support/mount'
import { track } from '../support/processes'
import { Bench } from './context'
import { median, now, percentile } from './stats'
import { must } from './steps'

/** Longer than the second a server must serve to be replaced at once (src/restart/restart-delay.ts). */
const BETWEEN_KILLS_MS = 1200
const POLL_MS = 1

/**
 * The load the servers are killed under, in a process of its own: a writer appending through
 * one open file, a stat of the topic and a statfs, one after the other, 1 ms apart. On stdin's
 * end it prints "requests failed".
 */
const LOAD = `
  const fs = require('fs')
  const file = process.env.FILE
  const fd = fs.openSync(file, 'a')
  let requests = 0, failed = 0, stopping = false
  process.stdin.on('end', () => { stopping = true }).resume()
  const step = () => {
    if (stopping) { console.log(requests + ' ' + failed); return }
    for (const request of [() => fs.writeSync(fd, 'x\\n'), () => fs.statSync(file), () => fs.statfsSync(file)]) {
      requests++
      try { request() } catch (e) { failed++ }
    }
    setTimeout(step, 1)
  }
  step()`

async function gone (pid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(pid, 0)
    } catch {
      return
    }
    await new Promise(resolve => setTimeout(resolve, POLL_MS))
  }
}

/**
 * Milliseconds from each SIGKILL of `mounted`'s server to the answer of a statfs made once it is
 * dead: the kernel answers statfs from no cache (a stat it may answer from attributes it keeps).
 */
async function killTimes (mounted: MountedDir, kills: number): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < kills; i++) {
    await new Promise(resolve => setTimeout(resolve, BETWEEN_KILLS_MS))
    const pid = await serverPid(mounted.daemon.pid!)
    const killed = now()
    process.kill(pid, 'SIGKILL')
    await gone(pid)
    await fs.statfs(mounted.dir)
    times.push(now() - killed)
  }
  return times
}

/**
 * K1: a mount's server killed under a writer and a stat loop: time from each kill to the next
 * answer (p50, p99), and the requests that failed. Baseline: what a kill cost before, a new
 * `dnpipes mount` of the directory, timed to its ready line.
 */
export async function k1 ({ sizes, server, table }: Bench): Promise<void> {
  const k = await mount(server.url)
  let times: number[]
  let load: { requests: number, failed: number }
  try {
    await must(`echo seed > ${k.dir}/k`)
    const loader = track(spawn(process.execPath, ['-e', LOAD], { env: { ...process.env, FILE: `${k.dir}/k` }, stdio: ['pipe', 'pipe', 'inherit'] }))
    let output = ''
    loader.stdout!.on('data', chunk => { output += chunk })
    const ended = new Promise(resolve => loader.once('exit', resolve))
    times = await killTimes(k, sizes.kills)
    loader.stdin!.end()
    await ended
    const [requests, failed] = output.trim().split(' ').map(Number)
    load = { requests: requests!, failed: failed! }
  } finally {
    await k.stop()
  }
  const remounts: number[] = []
  for (let i = 0; i < Math.max(3, sizes.runs); i++) {
    const started = now()
    const again = await mount(server.url, { dir: k.dir })
    remounts.push(now() - started)
    await again.stop()
  }
  console.log(`K1: ${sizes.kills} kills under ${load.requests} requests, ${load.failed} failed; kill to answer ${times.map(t => t.toFixed(0)).join(' ')} ms`)
  for (const [p, name] of [[0.5, 'p50'], [0.99, 'p99']] as const) {
    table.record({
      id: 'K1',
      workload: `server killed ${sizes.kills} times under a writer, stats and statfs (${load.failed} of ${load.requests} requests failed): kill to the next answer, ${name}`,
      unit: 'ms',
      fs: percentile(times, p),
      baselines: [{ name: 'a new dnpipes mount, to ready (median)', value: median(remounts) }],
      higherIsBetter: false
    })
  }
}
