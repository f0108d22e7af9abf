import { ChildProcess, spawn } from 'node:child_process'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { track } from '../support/processes'
import { Bench } from './context'
import { deliveryTimes } from './delivery'
import { now, percentile } from './stats'
import { must } from './steps'

/** Time for the reader to open the file and start waiting before the first sample is timed. */
const READER_SETTLE_MS = 300
/** XREAD's BLOCK timeout: far beyond any delivery, so that it never expires within a sample. */
const XREAD_BLOCK_MS = 5000
/** Time for XREAD BLOCK to reach the server before the XADD it waits for. */
const XREAD_HEAD_START_MS = 1

/** Milliseconds from a write on `writePath` to its arrival at `reader`'s output, per sample. */
async function writeDeliveryTimes (writePath: string, reader: ChildProcess, samples: number): Promise<number[]> {
  const handle = await fs.open(writePath, 'a')
  try {
    await new Promise(resolve => setTimeout(resolve, READER_SETTLE_MS))
    return await deliveryTimes(reader, samples, line => handle.write(line))
  } finally {
    await handle.close()
  }
}

/** L1: latency from a push on one mount to a .live follower on another. */
export async function l1 ({ sizes, redis, a, b, scratch, table }: Bench): Promise<void> {
  const { latencySamples } = sizes
  await must(`touch ${a.dir}/lat`)
  const samples = await writeDeliveryTimes(`${a.dir}/lat`, track(spawn('cat', [`${b.dir}/.live/lat`], { stdio: ['ignore', 'pipe', 'ignore'] })), latencySamples)

  const fifo = path.join(scratch.local, 'lat-fifo')
  await must(`mkfifo ${fifo}`)
  const local = await writeDeliveryTimes(fifo, track(spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'ignore'] })), latencySamples)
  await fs.rm(fifo)

  const reader = redis.duplicate()
  await reader.ping()
  const direct: number[] = []
  let last = (await redis.xadd('bench:lat', '*', 'data', 'seed'))!
  for (let i = 0; i < latencySamples; i++) {
    const read = reader.xread('BLOCK', XREAD_BLOCK_MS, 'STREAMS', 'bench:lat', last)
    await new Promise(resolve => setTimeout(resolve, XREAD_HEAD_START_MS))
    const started = now()
    last = (await redis.xadd('bench:lat', '*', 'data', `m${i}`))!
    await read
    direct.push(now() - started)
  }
  reader.disconnect()
  for (const [p, name] of [[0.5, 'p50'], [0.99, 'p99']] as const) {
    table.record({
      id: 'L1',
      workload: `push on one mount to a .live follower on another, ${name}`,
      unit: 'ms',
      fs: percentile(samples, p),
      baselines: [{ name: 'ioredis XADD to XREAD BLOCK', value: percentile(direct, p) }, { name: 'named pipe', value: percentile(local, p) }],
      higherIsBetter: false
    })
  }
}
