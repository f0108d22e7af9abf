import { Bench } from './context'
import { LINE_BYTES } from './sizes'
import { repeat, timed } from './stats'
import { must, redisBenchmark } from './steps'
import { W1Topics } from './w1'

/** Entries per XRANGE page, for the direct client and redis-benchmark alike. */
const PAGE_ENTRIES = 1000
/** redis-benchmark's pipeline depth for Redis's XRANGE ceiling. */
const PAGE_PIPELINE = 4
/** The follower's read size: a follower waits at the end, so only whole blocks are timed. */
const FOLLOW_BLOCK_BYTES = 131072

/** R1: replay of the topics W1 wrote, with cat and through .follow/. */
export async function r1 ({ sizes, server, redis, a, scratch, table }: Bench, { bytes, fifoMs }: W1Topics): Promise<void> {
  const { runs } = sizes
  const megabytes = (ms: number): number => bytes / 1e6 / (ms / 1000)

  const fsRead = await repeat(runs, async i => megabytes(await timed(() => must(`cat ${a.dir}/w1-${i} > /dev/null`))))
  const directRead = await repeat(runs, async i => megabytes(await timed(async () => {
    let after = '-'
    let total = 0
    for (;;) {
      const page = await redis.xrangeBuffer(`bench:direct-w1-${i}`, after, '+', 'COUNT', PAGE_ENTRIES)
      if (page.length === 0) break
      for (const [, fields] of page) total += fields[1]!.length + 1
      after = '(' + page[page.length - 1]![0].toString()
    }
    if (total !== bytes) throw new Error(`read ${total} bytes, expected ${bytes}`)
  })))
  // Always the same first entries: Redis's ceiling for serving entries, not a replay.
  const pages = await redisBenchmark(server, sizes.pageRequests, PAGE_PIPELINE, ['XRANGE', 'bench:direct-w1-0', '-', '+', 'COUNT', String(PAGE_ENTRIES)])
  const localRead = await repeat(runs, async i => megabytes(await timed(() => must(`cat ${scratch.local}/w1-${i} > /dev/null`))))
  table.record({
    id: 'R1',
    workload: `replay of W1 (${(bytes / 1e6).toPrecision(2)} MB), cat topic`,
    unit: 'MB/s',
    fs: fsRead,
    baselines: [
      { name: 'ioredis paged XRANGE', value: directRead },
      { name: `redis-benchmark XRANGE COUNT ${PAGE_ENTRIES}`, value: pages * PAGE_ENTRIES * LINE_BYTES / 1e6 },
      { name: 'named pipe', value: megabytes(fifoMs) },
      { name: scratch.localName, value: localRead }
    ],
    higherIsBetter: true
  })

  const blocks = Math.floor(bytes / FOLLOW_BLOCK_BYTES)
  const followRead = await repeat(runs, async i => blocks * FOLLOW_BLOCK_BYTES / 1e6 / (await timed(() =>
    must(`dd if=${a.dir}/.follow/w1-${i} of=/dev/null bs=${FOLLOW_BLOCK_BYTES} count=${blocks} iflag=fullblock 2>/dev/null`)) / 1000))
  table.record({
    id: 'R1',
    workload: 'replay of W1 through .follow/ (dd bs=128k, whole blocks)',
    unit: 'MB/s',
    fs: followRead,
    baselines: [{ name: 'ioredis paged XRANGE', value: directRead }, { name: 'cat topic', value: fsRead }],
    higherIsBetter: true
  })
}
