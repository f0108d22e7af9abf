import { promises as fs } from 'node:fs'
import path from 'node:path'
import { mount } from '../support/mount'
import { Bench } from './context'
import { throughFifo } from './scratch'
import { MB_PER_MIB } from './sizes'
import { repeat, timed } from './stats'
import { must } from './steps'

/** The size of each write(2) through the mount, and of each entry the direct client adds. */
const CHUNK_BYTES = 1024 * 1024

/** W2: binary data through a --framing write mount in 1 MiB writes, one entry per write(2). */
export async function w2 ({ sizes, server, redis, scratch, rss, table }: Bench): Promise<void> {
  const { binaryMiB, runs } = sizes
  const source = path.join(scratch.local, 'binary')
  await must(`head -c ${binaryMiB * 1024 * 1024} /dev/urandom > ${source}`)
  const megabytes = (ms: number): number => binaryMiB * MB_PER_MIB / (ms / 1000)
  const writes = await mount(server.url, { args: ['--framing', 'write', '--prefix', 'w2:'] })
  try {
    const fsRate = await repeat(runs, async i => megabytes(await timed(() => must(`dd if=${source} of=${writes.dir}/w2-${i} bs=${CHUNK_BYTES} status=none`))))
    const data = await fs.readFile(source)
    const direct = await repeat(runs, async i => megabytes(await timed(async () => {
      const pipeline = redis.pipeline()
      for (let at = 0; at < data.length; at += CHUNK_BYTES) pipeline.xadd(`bench:w2-${i}`, '*', 'data', data.subarray(at, at + CHUNK_BYTES), 'raw', '1')
      await pipeline.exec()
    })))
    await redis.del(...Array.from({ length: runs }, (_, i) => `bench:w2-${i}`))
    const fifo = await repeat(runs, async i => megabytes(await throughFifo(scratch, source, i)))
    const local = await repeat(runs, async i => megabytes(await timed(() => must(`dd if=${source} of=${scratch.local}/w2-${i} bs=${CHUNK_BYTES} status=none; rm ${scratch.local}/w2-${i}`))))
    table.record({
      id: 'W2',
      workload: `${binaryMiB} MiB of binary in 1 MiB writes, --framing write`,
      unit: 'MB/s',
      fs: fsRate,
      baselines: [
        { name: 'ioredis pipelined XADD of 1 MiB', value: direct },
        { name: 'named pipe', value: fifo },
        { name: scratch.localName, value: local }
      ],
      higherIsBetter: true
    })
  } finally {
    await rss.stop(writes, 'W2\'s writer')
  }
}
