import { spawn } from 'node:child_process'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import Redis from 'ioredis'
import tmp from 'tmp'
import { mount, MountedDir } from '../test/helpers/mount'
import { run, sh, track } from '../test/helpers/processes'
import { RedisServer, startRedis } from '../test/helpers/redis-server'

/**
 * `npm run bench`: each workload through the filesystem and through a baseline measured in the
 * same run (a direct ioredis client doing the job the simplest good way, or a local file), so
 * that the ratio means something on a shared, noisy machine. Prints medians of RUNS runs.
 * `--quick` runs small sizes once (the test suite's smoke run).
 */

const quick = process.argv.includes('--quick')
const RUNS = quick ? 1 : 3
const LINES = quick ? 5_000 : 200_000
const LATENCY_SAMPLES = quick ? 50 : 1000
const PUSHES = quick ? 20 : 1000
const STAT_MESSAGES = quick ? 10_000 : 1_000_000
const BINARY_MIB = quick ? 4 : 256
const BIG_MIB = quick ? 8 : 1024
const RANDOM_READS = quick ? 10 : 100
const DIRECTORY_TOPICS = quick ? 200 : 10_000

interface Row {
  id: string
  workload: string
  unit: string
  fs: number
  baseline: number
  baselineName: string
  /** Higher is better (throughput) or lower is better (time). */
  higherIsBetter: boolean
}

const rows: Row[] = []
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const percentile = (values: number[], p: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!
const now = (): number => Number(process.hrtime.bigint()) / 1e6

async function timed (work: () => Promise<unknown>): Promise<number> {
  const started = now()
  await work()
  return now() - started
}

async function repeat (work: (run: number) => Promise<number>): Promise<number> {
  const results: number[] = []
  for (let i = 0; i < RUNS; i++) results.push(await work(i))
  return median(results)
}

function record (row: Row): void {
  rows.push(row)
  const ratio = row.higherIsBetter ? row.fs / row.baseline : row.baseline / row.fs
  console.error(`${row.id} ${row.workload}: ${row.fs.toFixed(2)} ${row.unit} vs ${row.baselineName} ${row.baseline.toFixed(2)} (${ratio.toFixed(2)}x)`)
}

async function writeLines (file: string, count: number): Promise<void> {
  const line = (i: number): string => String(i).padStart(49, '0') + '\n'
  const parts: string[] = []
  for (let i = 0; i < count; i++) parts.push(line(i))
  await fs.writeFile(file, parts.join(''))
}

async function w1r1 (redis: Redis, a: MountedDir, scratch: string): Promise<void> {
  const source = path.join(scratch, 'lines')
  await writeLines(source, LINES)
  const bytes = LINES * 50
  const fsWrite = await repeat(async i => LINES / (await timed(() => sh(`cat ${source} > ${a.dir}/w1-${i}`)) / 1000))
  const payloads = (await fs.readFile(source, 'utf8')).split('\n').slice(0, LINES)
  const direct = await repeat(async i => {
    const key = `bench:direct-w1-${i}`
    return LINES / (await timed(async () => {
      for (let start = 0; start < payloads.length; start += 10_000) {
        const pipeline = redis.pipeline()
        for (const payload of payloads.slice(start, start + 10_000)) pipeline.xadd(key, '*', 'data', payload)
        await pipeline.exec()
      }
    }) / 1000)
  })
  record({ id: 'W1', workload: `${LINES} lines of 50 bytes, cat file > topic`, unit: 'msg/s', fs: fsWrite, baseline: direct, baselineName: 'ioredis pipelined XADD', higherIsBetter: true })

  const fsRead = await repeat(async i => bytes / 1e6 / (await timed(() => sh(`cat ${a.dir}/w1-${i} > /dev/null`)) / 1000))
  const directRead = await repeat(async i => {
    const key = `bench:direct-w1-${i}`
    return bytes / 1e6 / (await timed(async () => {
      let after = '-'
      let total = 0
      for (;;) {
        const page = await redis.xrangeBuffer(key, after, '+', 'COUNT', 1000)
        if (page.length === 0) break
        for (const [, fields] of page) total += fields[1]!.length + 1
        after = '(' + page[page.length - 1]![0].toString()
      }
      if (total !== bytes) throw new Error(`read ${total} bytes, expected ${bytes}`)
    }) / 1000)
  })
  record({ id: 'R1', workload: `replay of W1 (${(bytes / 1e6).toFixed(0)} MB), cat topic`, unit: 'MB/s', fs: fsRead, baseline: directRead, baselineName: 'ioredis paged XRANGE', higherIsBetter: true })
}

async function w3 (a: MountedDir, scratch: string): Promise<void> {
  const loop = (target: string): string => `i=0; while [ $i -lt ${PUSHES} ]; do echo x >> ${target}; i=$((i+1)); done`
  const fsTime = await repeat(async i => await timed(() => sh(loop(`${a.dir}/w3-${i}`))) / PUSHES)
  const local = await repeat(async i => await timed(() => sh(loop(`${scratch}/w3-${i}`))) / PUSHES)
  record({ id: 'W3', workload: `${PUSHES} x echo x >> topic (shell builtin)`, unit: 'ms/push', fs: fsTime, baseline: local, baselineName: 'local file', higherIsBetter: false })
}

async function l1 (redis: Redis, a: MountedDir, b: MountedDir): Promise<void> {
  await sh(`touch ${a.dir}/lat`)
  const follower = track(spawn('cat', [`${b.dir}/.live/lat`], { stdio: ['ignore', 'pipe', 'ignore'] }))
  let received = ''
  let notify: (() => void) | undefined
  follower.stdout!.on('data', chunk => { received += chunk; notify?.() })
  const handle = await fs.open(`${a.dir}/lat`, 'a')
  await new Promise(resolve => setTimeout(resolve, 300))
  const samples: number[] = []
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const line = `m${i}\n`
    const arrived = new Promise<void>(resolve => { notify = () => { if (received.endsWith(line)) resolve() } })
    const started = now()
    await handle.write(line)
    await arrived
    samples.push(now() - started)
  }
  await handle.close()
  follower.kill('SIGKILL')

  const reader = redis.duplicate()
  await reader.ping()
  const baseline: number[] = []
  let last = (await redis.xadd('bench:lat', '*', 'data', 'seed'))!
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const read = reader.xread('BLOCK', 5000, 'STREAMS', 'bench:lat', last)
    await new Promise(resolve => setTimeout(resolve, 1))
    const started = now()
    last = (await redis.xadd('bench:lat', '*', 'data', `m${i}`))!
    await read
    baseline.push(now() - started)
  }
  reader.disconnect()
  for (const [p, name] of [[0.5, 'p50'], [0.99, 'p99']] as const) {
    record({ id: 'L1', workload: `push on one mount to a .live follower on another, ${name}`, unit: 'ms', fs: percentile(samples, p), baseline: percentile(baseline, p), baselineName: 'ioredis XADD to XREAD BLOCK', higherIsBetter: false })
  }
}

async function s1r2 (server: RedisServer, scratch: string): Promise<void> {
  const source = path.join(scratch, 'stat-lines')
  await writeLines(source, STAT_MESSAGES)
  const writer = await mount(server.url)
  await sh(`cat ${source} > ${writer.dir}/big`)
  await writer.stop()
  const fresh = await mount(server.url)
  try {
    const fsTime = await repeat(async () => await timed(() => run('stat', ['-c', '%s', `${fresh.dir}/big`])))
    const local = await repeat(async () => await timed(() => run('stat', ['-c', '%s', source])))
    record({ id: 'S1', workload: `stat of a ${STAT_MESSAGES}-message topic from a fresh mount (incl. process start)`, unit: 'ms', fs: fsTime, baseline: local, baselineName: 'stat of a local file', higherIsBetter: false })
    await r2(`${fresh.dir}/big`, source, STAT_MESSAGES * 50)
  } finally {
    await fresh.stop()
  }
}

async function w2 (redis: Redis, a: MountedDir, scratch: string): Promise<void> {
  const source = path.join(scratch, 'binary')
  await sh(`head -c ${BINARY_MIB * 1024 * 1024} /dev/urandom > ${source}`)
  const writes = await mount(a.url!, { args: ['--framing', 'write', '--prefix', 'w2:'] })
  try {
    const fsRate = await repeat(async i => BINARY_MIB * 1.048576 / (await timed(() => sh(`cat ${source} > ${writes.dir}/w2-${i}`)) / 1000))
    const data = await fs.readFile(source)
    const chunk = 128 * 1024
    const direct = await repeat(async i => BINARY_MIB * 1.048576 / (await timed(async () => {
      const pipeline = redis.pipeline()
      for (let at = 0; at < data.length; at += chunk) pipeline.xadd(`bench:w2-${i}`, '*', 'data', data.subarray(at, at + chunk), 'raw', '1')
      await pipeline.exec()
    }) / 1000))
    record({ id: 'W2', workload: `${BINARY_MIB} MiB of binary, --framing write`, unit: 'MB/s', fs: fsRate, baseline: direct, baselineName: 'ioredis pipelined XADD of 128 KiB', higherIsBetter: true })
  } finally {
    await writes.stop()
  }
}

async function r1Growth (a: MountedDir, scratch: string): Promise<void> {
  const source = path.join(scratch, 'quarter')
  const quarterLines = BIG_MIB * 1024 * 1024 / 4 / 64
  const line = 'x'.repeat(63) + '\n'
  await fs.writeFile(source, line.repeat(quarterLines))
  await sh(`cat ${source} > ${a.dir}/r1-small`)
  for (let i = 0; i < 4; i++) await sh(`cat ${source} >> ${a.dir}/r1-big`)
  const small = await timed(() => sh(`cat ${a.dir}/r1-small > /dev/null`))
  const big = await timed(() => sh(`cat ${a.dir}/r1-big > /dev/null`))
  record({ id: 'R1', workload: `replay of a ${BIG_MIB} MiB topic`, unit: 'MB/s', fs: BIG_MIB * 1.048576 / (big / 1000), baseline: BIG_MIB / 4 * 1.048576 / (small / 1000), baselineName: `replay of a ${BIG_MIB / 4} MiB topic`, higherIsBetter: true })
  record({ id: 'R1', workload: 'growth: time for 4x the data over 1x (target <= 4.4)', unit: 'x', fs: big / small, baseline: 4, baselineName: 'linear', higherIsBetter: false })
}

async function r2 (bigTopic: string, localCopy: string, size: number): Promise<void> {
  const offsets = Array.from({ length: RANDOM_READS }, (_, i) => Math.floor(((i * 7919) % RANDOM_READS) / RANDOM_READS * (size - 4096)))
  const reads = (file: string) => async () => {
    for (const offset of offsets) await sh(`dd if=${file} bs=4096 skip=${offset} iflag=skip_bytes count=1 status=none > /dev/null`)
  }
  const fsDd = await repeat(async () => await timed(reads(bigTopic)) / RANDOM_READS)
  const localDd = await repeat(async () => await timed(reads(localCopy)) / RANDOM_READS)
  record({ id: 'R2', workload: `dd skip= at ${RANDOM_READS} random offsets of a ${STAT_MESSAGES}-message topic`, unit: 'ms/read', fs: fsDd, baseline: localDd, baselineName: 'local file', higherIsBetter: false })
  const fsTail = await repeat(async () => await timed(() => sh(`tail -c 100 ${bigTopic} > /dev/null`)))
  const localTail = await repeat(async () => await timed(() => sh(`tail -c 100 ${localCopy} > /dev/null`)))
  record({ id: 'R2', workload: `tail -c 100 of a ${STAT_MESSAGES}-message topic`, unit: 'ms', fs: fsTail, baseline: localTail, baselineName: 'local file', higherIsBetter: false })
}

async function s2 (a: MountedDir, scratch: string): Promise<void> {
  const make = (dir: string) => sh(`mkdir -p ${dir} && cd ${dir} && seq 1 ${DIRECTORY_TOPICS} | xargs touch`, { timeoutMs: 600_000 })
  await make(`${a.dir}/s2`)
  await make(`${scratch}/s2`)
  const fsTime = await timed(() => sh(`ls -l ${a.dir}/s2 > /dev/null`, { timeoutMs: 600_000 }))
  const local = await timed(() => sh(`ls -l ${scratch}/s2 > /dev/null`))
  record({ id: 'S2', workload: `ls -l of a directory of ${DIRECTORY_TOPICS} topics`, unit: 'ms', fs: fsTime, baseline: local, baselineName: 'local directory', higherIsBetter: false })
}

async function peakRssMiB (pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0) / 1024
}

function printTable (): void {
  console.log('| id | workload | dnpipes | baseline | ratio |')
  console.log('| --- | --- | --- | --- | --- |')
  for (const row of rows) {
    const ratio = row.higherIsBetter ? row.fs / row.baseline : row.baseline / row.fs
    console.log(`| ${row.id} | ${row.workload} | ${row.fs.toFixed(2)} ${row.unit} | ${row.baseline.toFixed(2)} ${row.unit} (${row.baselineName}) | ${ratio.toFixed(2)}x |`)
  }
  console.log(`\nratio > 1: dnpipes is better than the baseline; medians of ${RUNS} run(s).`)
}

async function main (): Promise<void> {
  const scratch = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-bench-' })
  const server = await startRedis({ persistence: false })
  const redis = server.client()
  const a = await mount(server.url)
  const b = await mount(server.url)
  try {
    await w1r1(redis, a, scratch.name)
    await w3(a, scratch.name)
    await l1(redis, a, b)
    await s1r2(server, scratch.name)
    await w2(redis, a, scratch.name)
    await r1Growth(a, scratch.name)
    await s2(a, scratch.name)
    const peaks = await Promise.all([a, b].map(m => peakRssMiB(m.daemon.pid!)))
    record({ id: 'M1', workload: 'peak RSS of the daemon over the run (target <= 150 MB)', unit: 'MiB', fs: Math.max(...peaks), baseline: 150 / 1.048576, baselineName: 'target', higherIsBetter: false })
    printTable()
  } finally {
    await a.stop()
    await b.stop()
    await server.stop()
    scratch.removeCallback()
  }
}

main().then(() => process.exit(0), err => {
  console.error(err)
  process.exit(1)
})
