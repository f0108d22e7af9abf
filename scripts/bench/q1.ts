import { ChildProcess, spawn } from 'node:child_process'
import Redis from 'ioredis'
import { KeyLayout } from '../../src/topics/redis/keys'
import { sleep } from '../../src/util/deadline'
import { MountedDir } from '../support/mount'
import { track } from '../support/processes'
import { Bench } from './context'
import { median, now } from './stats'
import { must } from './steps'

/** The consumer group the workers share, on the mounts (`.group/q1/TOPIC`) and in the baseline. */
export const GROUP = 'q1'
/** Workers on each of the two mounts, and ioredis workers in the baseline. */
const WORKERS_PER_MOUNT = 2
export const WORKERS = 2 * WORKERS_PER_MOUNT
/** How often XINFO GROUPS is asked whether the group is done. */
const POLL_MS = 10
/** No message delivered or acknowledged for this long: the run is stuck, not slow. */
const STALL_MS = 60_000
/** XREADGROUP's BLOCK in the baseline: a worker that finds nothing looks again after it. */
const DIRECT_BLOCK_MS = 100
/** XADDs per pipeline when the baseline's stream is filled. */
const FILL_BATCH = 10_000

/** The usual worker, writing each job it got on its own line so that none can go unnoticed. */
const WORKER = 'while read -r job; do echo "$job"; done < "$FILE"'

/** A bash worker reading a `.group/` file, and everything it printed. */
interface Worker {
  child: ChildProcess
  output: string
  errors: string
  closed: Promise<void>
}

function startWorker (file: string): Worker {
  const child = track(spawn('bash', ['-c', WORKER], { env: { ...process.env, FILE: file }, stdio: ['ignore', 'pipe', 'pipe'] }))
  const worker: Worker = { child, output: '', errors: '', closed: new Promise(resolve => child.once('close', () => resolve())) }
  child.stdout!.setEncoding('utf8').on('data', chunk => { worker.output += chunk })
  child.stderr!.setEncoding('utf8').on('data', chunk => { worker.errors += chunk })
  return worker
}

/** Throws unless `jobs` (as written: "1" … "N") holds every one of 1 … `messages` exactly once. */
function checkExactlyOnce (what: string, jobs: string[], messages: number): void {
  const seen = new Set<number>()
  const twice: string[] = []
  const strange: string[] = []
  for (const job of jobs) {
    const n = Number(job)
    if (!Number.isInteger(n) || n < 1 || n > messages || String(n) !== job) strange.push(job)
    else if (seen.has(n)) twice.push(job)
    else seen.add(n)
  }
  const missing = messages - seen.size
  if (twice.length || strange.length || missing) {
    throw new Error(`Q1 ${what}: not every message exactly once: ${jobs.length} delivered for ${messages}, ` +
      `${missing} missing, ${twice.length} twice (${twice.slice(0, 5).join(', ')}), ${strange.length} unexpected (${strange.slice(0, 5).map(j => JSON.stringify(j)).join(', ')})`)
  }
}

/** XINFO GROUPS' entry for `group` of `stream` as a map, or undefined while the group is not made. */
export async function groupInfo (redis: Redis, stream: string, group: string): Promise<Map<string, unknown> | undefined> {
  const groups = await redis.xinfo('GROUPS', stream).catch(() => []) as unknown[][]
  for (const flat of groups) {
    const fields = new Map<string, unknown>()
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), flat[i + 1])
    if (String(fields.get('name')) === group) return fields
  }
  return undefined
}

/**
 * Milliseconds for WORKERS bash workers, half on `a` and half on `b`, to take every message of
 * `topic` (already written): from their start until the group has delivered the stream's last
 * entry and has nothing pending. Then checks that each message went to exactly one worker.
 */
async function drainThroughMounts (redis: Redis, a: MountedDir, b: MountedDir, topic: string, messages: number): Promise<number> {
  const stream = new KeyLayout().topic(topic).stream
  const length = await redis.xlen(stream)
  if (length !== messages) throw new Error(`Q1: the topic holds ${length} messages, not ${messages}`)
  const lastId = (await redis.xrevrange(stream, '+', '-', 'COUNT', 1))[0]![0]
  const mounts = [a, b].flatMap(mounted => Array<MountedDir>(WORKERS_PER_MOUNT).fill(mounted))
  const started = now()
  const workers = mounts.map(mounted => startWorker(`${mounted.dir}/.group/${GROUP}/${topic}`))
  let finished: number
  try {
    await untilDrained(redis, stream, lastId, 'Q1', {
      failure: () => {
        const exited = workers.find(worker => worker.child.exitCode !== null || worker.child.signalCode !== null)
        return exited && `a worker exited (${exited.child.exitCode ?? exited.child.signalCode}) before the group was done: ${exited.errors}`
      },
      details: () => workers.map(w => w.errors).join(' ')
    })
    finished = now()
  } finally {
    // They wait for more forever: with nothing held, a kill loses nothing.
    for (const worker of workers) worker.child.kill('SIGKILL')
    await Promise.all(workers.map(worker => worker.closed))
  }
  const jobs = workers.flatMap(worker => worker.output.split('\n').filter(Boolean))
  checkExactlyOnce('through the mounts', jobs, messages)
  return finished - started
}

/**
 * Returns once group GROUP of `stream` has delivered `lastId` and holds nothing pending. Throws
 * `what: …` when `failure` names one, or when nothing moved for STALL_MS (with `details`).
 */
export async function untilDrained (redis: Redis, stream: string, lastId: string, what: string, watch: { failure: () => string | undefined, details: () => string }): Promise<void> {
  let progress = ''
  let progressAt = now()
  for (;;) {
    const group = await groupInfo(redis, stream, GROUP)
    const delivered = String(group?.get('last-delivered-id'))
    const pending = Number(group?.get('pending'))
    if (group && delivered === lastId && pending === 0) return
    const failure = watch.failure()
    if (failure) throw new Error(`${what}: ${failure}`)
    if (`${delivered} ${pending}` !== progress) {
      progress = `${delivered} ${pending}`
      progressAt = now()
    } else if (now() - progressAt > STALL_MS) {
      throw new Error(`${what}: no progress for ${STALL_MS / 1000} s: last delivered ${delivered} of ${lastId}, ${pending} pending; ${watch.details()}`)
    }
    await sleep(POLL_MS)
  }
}

/**
 * Milliseconds for WORKERS ioredis clients, each on its own connection, to take every message of
 * `stream` (already filled) one by one: XREADGROUP COUNT 1, then `job` if given, then XACK, until
 * the last is acknowledged.
 */
export async function drainDirect (redis: Redis, stream: string, messages: number, job?: () => Promise<unknown>): Promise<number> {
  await redis.xgroup('CREATE', stream, GROUP, '0')
  const clients = Array.from({ length: WORKERS }, () => redis.duplicate())
  try {
    await Promise.all(clients.map(client => client.ping()))
    const got: string[] = []
    let acknowledged = 0
    let finished = 0
    const started = now()
    await Promise.all(clients.map(async (client, w) => {
      while (acknowledged < messages) {
        const reply = await client.xreadgroup('GROUP', GROUP, `c${w}`, 'COUNT', 1, 'BLOCK', DIRECT_BLOCK_MS, 'STREAMS', stream, '>') as Array<[string, Array<[string, string[]]>]> | null
        const entry = reply?.[0]?.[1][0]
        if (!entry) {
          if (now() - started > STALL_MS * 10) throw new Error(`Q1 ioredis: ${acknowledged} of ${messages} acknowledged, nothing more to read`)
          continue
        }
        got.push(entry[1][1]!)
        if (job) await job()
        await client.xack(stream, GROUP, entry[0])
        if (++acknowledged === messages) finished = now()
      }
    }))
    checkExactlyOnce('through ioredis', got, messages)
    return finished - started
  } finally {
    for (const client of clients) client.disconnect()
  }
}

/** Fills `stream` with "1" … "N" as `seq` would, in pipelined batches. */
export async function fill (redis: Redis, stream: string, messages: number): Promise<void> {
  for (let start = 1; start <= messages; start += FILL_BATCH) {
    const pipeline = redis.pipeline()
    for (let n = start; n < start + FILL_BATCH && n <= messages; n++) pipeline.xadd(stream, '*', 'data', String(n))
    await pipeline.exec()
  }
}

/**
 * Q1: a work queue's throughput: a topic of `seq` lines shared out by four `while read` workers
 * on `.group/q1/TOPIC`, two on each of two mounts, each message to exactly one of them, against
 * four ioredis workers doing the same job (one message per round trip, acknowledged).
 */
export async function q1 ({ sizes, redis, a, b, table }: Bench): Promise<void> {
  const { queueMessages: messages, runs } = sizes
  const rate = (ms: number): number => messages / (ms / 1000)
  // Turn about, as stats.alternate does, so that the ratio holds on a machine whose speed
  // drifts; but without its uncounted round: a run is minutes long, and warms up by itself.
  const fsRates: number[] = []
  const directRates: number[] = []
  for (let run = 0; run < runs; run++) {
    const topic = `q1-${run}`
    await must(`seq 1 ${messages} > ${a.dir}/${topic}`)
    fsRates.push(rate(await drainThroughMounts(redis, a, b, topic, messages)))
    const stream = `bench:q1-${run}`
    await fill(redis, stream, messages)
    directRates.push(rate(await drainDirect(redis, stream, messages)))
  }
  const [fsRate, directRate] = [median(fsRates), median(directRates)]
  table.record({
    id: 'Q1',
    workload: `${messages} messages, 4 x while read -r job < .group/q1/topic on two mounts, until none pending`,
    unit: 'msg/s',
    fs: fsRate,
    baselines: [{ name: 'ioredis, 4 x XREADGROUP COUNT 1 + XACK', value: directRate }],
    higherIsBetter: true
  })
}
