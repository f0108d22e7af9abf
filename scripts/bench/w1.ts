import { promises as fs } from 'node:fs'
import path from 'node:path'
import { Bench } from './context'
import { throughFifo, writeLines } from './scratch'
import { LINE_BYTES } from './sizes'
import { repeat, timed } from './stats'
import { must, redisBenchmark } from './steps'

/** XADDs per pipeline for the direct client: few round trips without one giant reply. */
const DIRECT_BATCH = 10_000
/** redis-benchmark's pipeline depth for Redis's XADD ceiling. */
const CEILING_PIPELINE = 16

/** What W1 leaves behind for R1 to replay. */
export interface W1Topics {
  /** Bytes in each topic (`w1-N` on the mount, `bench:direct-w1-N` in Redis, `w1-N` locally). */
  bytes: number
  /** Milliseconds to pass the same bytes through a named pipe (median). */
  fifoMs: number
}

/** W1: line-framed writes, `cat file > topic`. */
export async function w1 ({ sizes, server, redis, a, scratch, table }: Bench): Promise<W1Topics> {
  const { lines, runs } = sizes
  const source = path.join(scratch.local, 'lines')
  await writeLines(source, lines)
  const messages = (ms: number): number => lines / (ms / 1000)

  const fsWrite = await repeat(runs, async i => messages(await timed(() => must(`cat ${source} > ${a.dir}/w1-${i}`))))
  const payloads = (await fs.readFile(source, 'utf8')).split('\n').slice(0, lines)
  const direct = await repeat(runs, async i => messages(await timed(async () => {
    for (let start = 0; start < payloads.length; start += DIRECT_BATCH) {
      const pipeline = redis.pipeline()
      for (const payload of payloads.slice(start, start + DIRECT_BATCH)) pipeline.xadd(`bench:direct-w1-${i}`, '*', 'data', payload)
      await pipeline.exec()
    }
  })))
  const ceiling = await redisBenchmark(server, lines, CEILING_PIPELINE, ['XADD', 'bench:ceiling', '*', 'data', payloads[0]!])
  const fifo = await repeat(runs, async i => await throughFifo(scratch, source, i))
  const local = await repeat(runs, async i => messages(await timed(() => must(`cat ${source} > ${scratch.local}/w1-${i}`))))
  table.record({
    id: 'W1',
    workload: `${lines} lines of ${LINE_BYTES} bytes, cat file > topic`,
    unit: 'msg/s',
    fs: fsWrite,
    baselines: [
      { name: 'ioredis pipelined XADD', value: direct },
      { name: `redis-benchmark XADD -P ${CEILING_PIPELINE}`, value: ceiling },
      { name: 'named pipe', value: messages(fifo) },
      { name: scratch.localName, value: local }
    ],
    higherIsBetter: true
  })
  return { bytes: lines * LINE_BYTES, fifoMs: fifo }
}
