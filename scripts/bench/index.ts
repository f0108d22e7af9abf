import { mount } from '../support/mount'
import { startRedis } from '../support/redis-server'
import { writeBigTopic } from './big-topic'
import { clusterFollow } from './cluster-follow'
import { Bench } from './context'
import { mountCFloor } from './c-floor'
import { mountNullFilesystem } from './floor'
import { k1 } from './k1'
import { l1 } from './l1'
import { m1 } from './m1'
import { q1 } from './q1'
import { q1Work } from './q1-work'
import { q2 } from './q2'
import { q3 } from './q3'
import { r1 } from './r1'
import { r1Growth, r1GrowthTrimmed } from './r1-growth'
import { r2 } from './r2'
import { PeakRss } from './rss'
import { s1 } from './s1'
import { requests } from './requests'
import { s2 } from './s2'
import { makeScratch } from './scratch'
import { sizesFor } from './sizes'
import { Table } from './table'
import { w1 } from './w1'
import { w1Retained } from './w1-retained'
import { w2 } from './w2'
import { w3 } from './w3'

/**
 * `npm run bench`: each workload through the filesystem and through baselines measured in the
 * same run: a direct ioredis client doing the job the simplest good way, redis-benchmark for
 * Redis's own ceiling, a local named pipe and a tmpfs file for the local limit, and, for the
 * workloads made of many small requests, the same FUSE binding serving from memory
 * (scripts/null-fuse.ts). Ratios are what count on a shared, noisy machine. Prints medians of
 * several runs. `--quick` runs small sizes once (the test suite's smoke run); `--only S2,W3`
 * runs the rows named (with what they need: R1 runs W1, R2 and S1 write the big topic).
 */

/** Rows asked for with --only, upper case; undefined for all of them. */
function onlyRows (): Set<string> | undefined {
  const at = process.argv.indexOf('--only')
  if (at < 0) return undefined
  const list = process.argv[at + 1]
  if (!list) throw new Error('--only needs row ids, such as --only S2,W3')
  return new Set(list.split(',').map(id => id.trim().toUpperCase()))
}

/** The workloads in order: later ones run on mounts the earlier ones have used. */
async function runWorkloads (bench: Bench, only: Set<string> | undefined): Promise<void> {
  const want = (...ids: string[]): boolean => !only || ids.some(id => only.has(id))
  // Mount a serves most rows; its peak after each one says which row M1's figure comes from.
  const step = async (label: string, run: () => Promise<void>): Promise<void> => {
    await run()
    await bench.rss.progress(bench.a, `mount a after ${label}`)
  }
  if (want('W1', 'R1')) {
    await step('W1/R1', async () => {
      const w1Topics = await w1(bench)
      if (want('R1')) await r1(bench, w1Topics)
      if (want('W1')) await w1Retained(bench)
    })
  }
  if (want('W3')) await step('W3', async () => await w3(bench))
  if (want('L1')) await step('L1', async () => await l1(bench))
  if (want('S1', 'R2')) {
    await step('S1/R2', async () => {
      const big = await writeBigTopic(bench)
      try {
        if (want('S1')) await s1(bench, big)
        if (want('R2')) await r2(bench, big)
      } finally {
        await bench.rss.stop(big.fresh, 'the big topic\'s reader')
      }
    })
  }
  if (want('W2')) await step('W2', async () => await w2(bench))
  if (want('R1')) {
    await step('R1 growth', async () => {
      await r1Growth(bench)
      await r1GrowthTrimmed(bench)
    })
  }
  if (want('S2')) await step('S2', async () => await s2(bench))
  if (want('S3', 'W4')) await step('S3/W4', async () => await requests(bench))
  if (want('Q1')) {
    await step('Q1', async () => {
      await q1(bench)
      await q1Work(bench)
    })
  }
  if (want('Q2')) await step('Q2', async () => await q2(bench))
  if (want('Q3')) await step('Q3', async () => await q3(bench))
  if (want('C1', 'C2')) await step('C1/C2', async () => await clusterFollow(bench))
  if (want('K1')) await k1(bench)
  if (want('M1')) await m1(bench)
}

async function main (): Promise<void> {
  const sizes = sizesFor(process.argv.includes('--quick'))
  const { scratch, remove } = makeScratch()
  const server = await startRedis({ persistence: false })
  const redis = server.client()
  const a = await mount(server.url)
  const b = await mount(server.url)
  const floor = await mountNullFilesystem()
  const cFloor = await mountCFloor()
  const table = new Table()
  try {
    await runWorkloads({ sizes, server, redis, a, b, floor, cFloor, scratch, rss: new PeakRss(), table }, onlyRows())
    table.print(sizes.runs)
  } finally {
    await a.stop()
    await b.stop()
    await floor.stop()
    await cFloor.stop()
    redis.disconnect()
    await server.stop()
    remove()
  }
}

main().then(() => process.exit(0), err => {
  console.error(err)
  process.exit(1)
})
