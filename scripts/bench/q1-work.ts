import { ChildProcess, spawn } from 'node:child_process'
import Redis from 'ioredis'
import { KeyLayout } from '../../src/topics/redis/keys'
import { CLI } from '../support/mount'
import { track } from '../support/processes'
import { Bench } from './context'
import { drainDirect, fill, GROUP, untilDrained, WORKERS } from './q1'
import { median, now } from './stats'
import { must } from './steps'

/** What each job runs: nothing, so that what is timed is the queue and the process per job. */
const NO_OP = 'true'

/** Runs NO_OP as `dnpipes work` runs a job's command: a process of its own, waited for. */
function runNoOp (): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(NO_OP, [], { stdio: 'ignore' })
    child.once('error', reject)
    child.once('exit', code => code === 0 ? resolve() : reject(new Error(`${NO_OP} exited ${code}`)))
  })
}

/**
 * Milliseconds for WORKERS `dnpipes work` processes to run NO_OP once per message of `topic`
 * (already written, `messages` long): from their start until the group has delivered the last
 * entry and has nothing pending.
 */
async function drainThroughWorkers (redis: Redis, redisUrl: string, topic: string, messages: number): Promise<number> {
  const stream = new KeyLayout().topic(topic).stream
  const length = await redis.xlen(stream)
  if (length !== messages) throw new Error(`Q1 work: the topic holds ${length} messages, not ${messages}`)
  const lastId = (await redis.xrevrange(stream, '+', '-', 'COUNT', 1))[0]![0]
  const started = now()
  const workers: ChildProcess[] = Array.from({ length: WORKERS }, () =>
    track(spawn(process.execPath, [CLI, 'work', GROUP, topic, '--redis', redisUrl, '--', NO_OP], { stdio: ['ignore', 'ignore', 'pipe'] })))
  let errors = ''
  for (const worker of workers) worker.stderr!.setEncoding('utf8').on('data', chunk => { errors += chunk })
  const closed = workers.map(worker => new Promise(resolve => worker.once('close', resolve)))
  try {
    await untilDrained(redis, stream, lastId, 'Q1 work', {
      failure: () => workers.some(worker => worker.exitCode !== null) ? `a worker exited before the group was done: ${errors}` : undefined,
      details: () => errors
    })
    return now() - started
  } finally {
    for (const worker of workers) worker.kill('SIGTERM')
    await Promise.all(closed)
  }
}

/**
 * Q1 for `dnpipes work`: four workers run a no-op command per job, against four ioredis workers
 * that run none (a BullMQ-style worker calls a function in its own process) and four that start
 * the same no-op process per job, so that the table shows what the process per job costs apart
 * from what dnpipes costs.
 */
export async function q1Work ({ sizes, server, redis, a, table }: Bench): Promise<void> {
  const { workJobs: messages, runs } = sizes
  const rate = (ms: number): number => messages / (ms / 1000)
  const workRates: number[] = []
  const inProcessRates: number[] = []
  const spawningRates: number[] = []
  for (let run = 0; run < runs; run++) {
    const topic = `q1-work-${run}`
    await must(`seq 1 ${messages} > ${a.dir}/${topic}`)
    workRates.push(rate(await drainThroughWorkers(redis, server.url, topic, messages)))
    await fill(redis, `bench:q1-work-${run}`, messages)
    inProcessRates.push(rate(await drainDirect(redis, `bench:q1-work-${run}`, messages)))
    await fill(redis, `bench:q1-spawn-${run}`, messages)
    spawningRates.push(rate(await drainDirect(redis, `bench:q1-spawn-${run}`, messages, runNoOp)))
  }
  table.record({
    id: 'Q1',
    workload: `${messages} jobs, 4 x dnpipes work q1 topic -- ${NO_OP}, until none pending`,
    unit: 'jobs/s',
    fs: median(workRates),
    baselines: [
      { name: 'ioredis, 4 x XREADGROUP COUNT 1 + XACK, no process per job (BullMQ-style)', value: median(inProcessRates) },
      { name: `ioredis, 4 x XREADGROUP COUNT 1 + spawn ${NO_OP} + XACK`, value: median(spawningRates) }
    ],
    higherIsBetter: true
  })
}
