import path from 'node:path'
import tmp from 'tmp'
import { mount, MountedDir, serveMount } from '../support/mount'
import { startRedis } from '../support/redis-server'
import { writeBigTopic } from './big-topic'
import { Bench } from './context'
import { l1 } from './l1'
import { m1 } from './m1'
import { r1 } from './r1'
import { r1Growth } from './r1-growth'
import { r2 } from './r2'
import { PeakRss } from './rss'
import { s1 } from './s1'
import { s2 } from './s2'
import { makeScratch } from './scratch'
import { sizesFor } from './sizes'
import { Table } from './table'
import { w1 } from './w1'
import { w2 } from './w2'
import { w3 } from './w3'

/**
 * `npm run bench`: each workload through the filesystem and through baselines measured in the
 * same run: a direct ioredis client doing the job the simplest good way, redis-benchmark for
 * Redis's own ceiling, a local named pipe and a tmpfs file for the local limit, and, for the
 * workloads made of many small requests, the same FUSE binding serving from memory
 * (scripts/null-fuse.ts). Ratios are what count on a shared, noisy machine. Prints medians of
 * several runs. `--quick` runs small sizes once (the test suite's smoke run).
 */

/** The in-memory filesystem of scripts/null-fuse.ts, for the binding's floor. */
function mountNullFilesystem (): Promise<MountedDir> {
  const dir = tmp.dirSync({ prefix: 'dnpipes-null-' }).name
  return serveMount(dir, [process.execPath, path.join(__dirname, '..', 'null-fuse.js'), dir], 'mounted')
}

/** The workloads in order: later ones run on mounts the earlier ones have used. */
async function runWorkloads (bench: Bench): Promise<void> {
  const w1Topics = await w1(bench)
  await r1(bench, w1Topics)
  await w3(bench)
  await l1(bench)
  const big = await writeBigTopic(bench)
  try {
    await s1(bench, big)
    await r2(bench, big)
  } finally {
    await bench.rss.stop(big.fresh)
  }
  await w2(bench)
  await r1Growth(bench)
  await s2(bench)
  await m1(bench)
}

async function main (): Promise<void> {
  const sizes = sizesFor(process.argv.includes('--quick'))
  const { scratch, remove } = makeScratch()
  const server = await startRedis({ persistence: false })
  const redis = server.client()
  const a = await mount(server.url)
  const b = await mount(server.url)
  const floor = await mountNullFilesystem()
  const table = new Table()
  try {
    await runWorkloads({ sizes, server, redis, a, b, floor, scratch, rss: new PeakRss(), table })
    table.print(sizes.runs)
  } finally {
    await a.stop()
    await b.stop()
    await floor.stop()
    redis.disconnect()
    await server.stop()
    remove()
  }
}

main().then(() => process.exit(0), err => {
  console.error(err)
  process.exit(1)
})
