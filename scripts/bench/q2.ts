import { spawn } from 'node:child_process'
import { promises as fs } from 'node:fs'
import Redis from 'ioredis'
import { sleep } from '../../src/util/deadline'
import { track } from '../support/processes'
import { Bench } from './context'
import { now, percentile } from './stats'
import { must } from './steps'

/** Pushes start at least this far apart; each waits for the one before to arrive. */
const SPACING_MS = 20
/** A push not handed to the reader by then is lost, not late. */
const ARRIVAL_TIMEOUT_MS = 10_000
/** The group the reader joins (`.group/q2/TOPIC`), and the baseline's. */
const GROUP = 'q2'

/**
 * The group reader: a worker that reads the file with plain read(2)s, one message each, and
 * writes what it got with the time it got it: process.hrtime, which is CLOCK_MONOTONIC, a clock
 * every process on the machine shares, the same as stats.now() in the bench process.
 */
const READER = `
const fs = require('fs')
const fd = fs.openSync(process.env.FILE, 'r')
const buffer = Buffer.alloc(65536)
for (;;) {
  const n = fs.readSync(fd, buffer, 0, buffer.length, null)
  const at = process.hrtime.bigint()
  if (n === 0) break
  const lines = buffer.toString('utf8', 0, n).split('\\n').filter(Boolean)
  fs.writeSync(1, lines.map(line => line + ' ' + at + '\\n').join(''))
}
`

/** Waits for the lines a reader reports ("PAYLOAD NANOSECONDS"), by payload. */
export class Arrivals {
  private buffered = ''
  private readonly times = new Map<string, number>()
  private readonly waiting = new Map<string, () => void>()
  private failure: Error | undefined

  add (chunk: string): void {
    const lines = (this.buffered + chunk).split('\n')
    this.buffered = lines.pop()!
    const seen = now()
    for (const line of lines) {
      const [payload, ns] = line.split(' ')
      const at = Number(ns) / 1e6
      // The reader's clock must be this one: nothing is got after it reached this process.
      if (!(at <= seen)) this.fail(new Error(`Q2: the reader's clock is not the bench's: ${line} seen at ${seen} ms`))
      this.times.set(payload!, at)
      this.waiting.get(payload!)?.()
    }
  }

  fail (err: Error): void {
    this.failure ??= err
    for (const wake of this.waiting.values()) wake()
  }

  /** The time `payload` reached the reader, in stats.now() milliseconds. */
  async of (payload: string): Promise<number> {
    if (!this.times.has(payload) && !this.failure) {
      let timer: NodeJS.Timeout | undefined
      await new Promise<void>(resolve => {
        this.waiting.set(payload, resolve)
        timer = setTimeout(resolve, ARRIVAL_TIMEOUT_MS)
      })
      clearTimeout(timer)
      this.waiting.delete(payload)
    }
    if (this.failure) throw this.failure
    const at = this.times.get(payload)
    if (at === undefined) throw new Error(`Q2: ${payload} did not reach the group reader within ${ARRIVAL_TIMEOUT_MS / 1000} s`)
    return at
  }
}

/** Sleeps until SPACING_MS after `last`. */
const spaced = (last: number): Promise<void> => sleep(Math.max(0, SPACING_MS - (now() - last)))

/** Milliseconds from before each `push` to its arrival, after one push that is not counted. */
async function handOffs (samples: number, push: (payload: string) => Promise<unknown>, arrival: (payload: string) => Promise<number>): Promise<number[]> {
  const times: number[] = []
  let last = now()
  for (let i = -1; i < samples; i++) {
    const payload = i < 0 ? 'warm' : `m${i}`
    // Waited for before the pause: the reader is waiting by the time the push is sent.
    const arrived = arrival(payload)
    arrived.catch(() => undefined)
    await spaced(last)
    const sent = last = now()
    await push(payload)
    const at = await arrived
    if (at < sent) throw new Error(`Q2: ${payload} arrived ${sent - at} ms before it was sent: the clocks differ`)
    if (i >= 0) times.push(at - sent)
  }
  return times
}

/**
 * A process reading `readFile` (a `.group/` file) with READER, and when each payload arrived;
 * `what` names the row in the error when the reader exits.
 */
export function groupReaderOf (readFile: string, what: string): { arrivals: Arrivals, stop: () => void } {
  const arrivals = new Arrivals()
  const reader = track(spawn(process.execPath, ['-e', READER], { env: { ...process.env, FILE: readFile }, stdio: ['ignore', 'pipe', 'pipe'] }))
  let errors = ''
  reader.stdout!.setEncoding('utf8').on('data', chunk => arrivals.add(chunk))
  reader.stderr!.setEncoding('utf8').on('data', chunk => { errors += chunk })
  reader.once('exit', code => arrivals.fail(new Error(`${what}: the group reader exited (${code}): ${errors}`)))
  return { arrivals, stop: () => reader.kill('SIGKILL') }
}

/** Push on one mount (an appendFile per message) to a reader of `.group/q2/TOPIC` on another. */
async function throughMounts (pushFile: string, readFile: string, samples: number): Promise<number[]> {
  const { arrivals, stop } = groupReaderOf(readFile, 'Q2')
  try {
    return await handOffs(samples, payload => fs.appendFile(pushFile, payload + '\n'), payload => arrivals.of(payload))
  } finally {
    stop()
  }
}

/** XADD on one connection to XREADGROUP COUNT 1 BLOCK 0 (then XACK) on a dedicated one. */
async function direct (redis: Redis, samples: number): Promise<number[]> {
  const stream = 'bench:q2'
  await redis.xgroup('CREATE', stream, GROUP, '$', 'MKSTREAM')
  const reader = redis.duplicate()
  try {
    await reader.ping()
    type Reply = Array<[string, Array<[string, string[]]>]>
    return await handOffs(samples, payload => redis.xadd(stream, '*', 'data', payload), async payload => {
      // Sent a pause before the push: waiting on the server by the time the XADD gets there.
      const reply = await reader.xreadgroup('GROUP', GROUP, 'c', 'COUNT', 1, 'BLOCK', 0, 'STREAMS', stream, '>') as Reply
      const at = now()
      const [id, fields] = reply[0]![1][0]!
      if (fields[1] !== payload) throw new Error(`Q2 ioredis: got ${fields[1]} for ${payload}`)
      await reader.xack(stream, GROUP, id)
      return at
    })
  } finally {
    reader.disconnect()
  }
}

/** Q2: hand-off latency from a push on one mount to a group reader on another, waiting for it. */
export async function q2 ({ sizes, redis, a, b, table }: Bench): Promise<void> {
  const { handoffSamples: samples } = sizes
  await must(`touch ${a.dir}/q2`)
  const fsTimes = await throughMounts(`${a.dir}/q2`, `${b.dir}/.group/${GROUP}/q2`, samples)
  const directTimes = await direct(redis, samples)
  for (const [p, name] of [[0.5, 'p50'], [0.99, 'p99']] as const) {
    table.record({
      id: 'Q2',
      workload: `${samples} pushes ${SPACING_MS} ms apart, appendFile on one mount to a reader blocked on .group/q2/topic on another, ${name}`,
      unit: 'ms',
      fs: percentile(fsTimes, p),
      baselines: [{ name: 'ioredis XADD to XREADGROUP BLOCK 0', value: percentile(directTimes, p) }],
      higherIsBetter: false
    })
  }
}
