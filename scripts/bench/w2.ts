import { promises as fs } from 'node:fs'
import path from 'node:path'
import { mount } from '../support/mount'
import { Bench } from './context'
import { throughFifo } from './scratch'
import { MB_PER_MIB } from './sizes'
import { repeat, timed } from './stats'
import { must } from './steps'

/** The direct client's entry size: the 128 KiB writes (big_writes) that become entries through the mount. */
const DIRECT_CHUNK_BYTES = 128 * 1024

/** W2: binary data through a --framing write mount, one entry per write(2). */
export async function w2 ({ sizes, server, redis, scratch, rss, table }: Bench): Promise<void> {
  const { binaryMiB, runs } = sizes
  const source = path.join(scratch.local, 'binary')
  await must(`head -c ${binaryMiB * 1024 * 1024} /dev/urandom > ${source}`)
  const megabytes = (ms: number): number => binaryMiB * MB_PER_MIB / (ms / 1000)
  const writes = await mount(server.url, { args: ['--framing', 'write', '--prefix', 'w2:'] })
  try {
    const fsRate = await repeat(runs, async i => megabytes(await timed(() => must(`cat ${source} > ${writes.dir}/w2-${i}`))))
    const data = await fs.readFile(source)
    const direct = await repeat(runs, async i => megabytes(await timed(async () => {
      const pipeline = redis.pipeline()
      for (let at = 0; at < data.length; at += DIRECT_CHUNK_BYTES) pipeline.xadd(`bench:w2-${i}`, '*', 'data', data.subarray(at, at + DIRECT_CHUNK_BYTES), 'raw', '1')
      await pipeline.exec()
    })))
    await redis.del(...Array.from({ length: runs }, (_, i) => `bench:w2-${i}`))
    const fifo = await repeat(runs, async i => megabytes(await throughFifo(scratch, source, i)))
    const local = await repeat(runs, async i => megabytes(await timed(() => must(`cat ${source} > ${scratch.local}/w2-${i}; rm ${scratch.local}/w2-${i}`))))
    table.record({
      id: 'W2',
      workload: `${binaryMiB} MiB of binary, --framing write`,
      unit: 'MB/s',
      fs: fsRate,
      baselines: [
        { name: 'ioredis pipelined XADD of 128 KiB', value: direct },
        { name: 'named pipe', value: fifo },
        { name: scratch.localName, value: local }
      ],
      higherIsBetter: true
    })
  } finally {
    await rss.stop(writes)
  }
}
