import { ChildProcess, spawn } from 'node:child_process'
import { promises as fs, statfsSync } from 'node:fs'
import path from 'node:path'
import Redis from 'ioredis'
import tmp from 'tmp'
import { mount, MountedDir, serveMount } from './support/mount'
import { Result, run, RunOptions, sh, track } from './support/processes'
import { RedisServer, startRedis } from './support/redis-server'

/**
 * `npm run bench`: each workload through the filesystem and through baselines measured in the
 * same run: a direct ioredis client doing the job the simplest good way, redis-benchmark for
 * Redis's own ceiling, a local named pipe and a tmpfs file for the local limit, and, for the
 * workloads made of many small requests, the same FUSE binding serving from memory
 * (scripts/null-fuse.ts). Ratios are what count on a shared, noisy machine. Prints medians of
 * RUNS runs. `--quick` runs small sizes once (the test suite's smoke run).
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
const LINE_BYTES = 50

interface Baseline {
  name: string
  value: number
}

interface Row {
  id: string
  workload: string
  unit: string
  fs: number
  baselines: Baseline[]
  /** Higher is better (throughput) or lower is better (time). */
  higherIsBetter: boolean
}

const rows: Row[] = []
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const percentile = (values: number[], p: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!
const now = (): number => Number(process.hrtime.bigint()) / 1e6
const ratio = (row: Row, baseline: Baseline): number => row.higherIsBetter ? row.fs / baseline.value : baseline.value / row.fs

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

/** A shell command that must succeed: a failed workload must not pass for a fast one. */
async function must (script: string, options: RunOptions = {}): Promise<Result> {
  const result = await sh(script, { timeoutMs: 600_000, ...options })
  if (result.code !== 0) throw new Error(`benchmark step failed (${result.code}): ${script}\n${result.stderr}`)
  return result
}

function record (row: Row): void {
  rows.push(row)
  const against = row.baselines.map(b => `${b.name} ${b.value.toFixed(2)} (${ratio(row, b).toFixed(2)}x)`).join(', ')
  console.error(`${row.id} ${row.workload}: ${row.fs.toFixed(2)} ${row.unit} vs ${against}`)
}

interface Scratch {
  /** A tmpfs directory when /dev/shm is one: sources, and the local baselines. */
  local: string
  localName: string
}

async function writeLines (file: string, count: number): Promise<void> {
  const line = (i: number): string => String(i).padStart(LINE_BYTES - 1, '0') + '\n'
  const parts: string[] = []
  for (let i = 0; i < count; i++) parts.push(line(i))
  await fs.writeFile(file, parts.join(''))
}

/** Time to pass `source` through a named pipe to a reader that discards it. */
async function throughFifo (scratch: Scratch, source: string, run: number): Promise<number> {
  const fifo = path.join(scratch.local, `fifo-${run}`)
  await must(`mkfifo ${fifo}`)
  try {
    return await timed(() => must(`cat ${fifo} > /dev/null & cat ${source} > ${fifo}; wait`))
  } finally {
    await fs.rm(fifo, { force: true })
  }
}

/** redis-benchmark's requests per second for one command (-q prints "CMD: N requests per second"). */
async function redisBenchmark (server: RedisServer, requests: number, pipeline: number, command: string[]): Promise<number> {
  const result = await run('redis-benchmark', ['-h', '127.0.0.1', '-p', String(server.port), '-n', String(requests), '-P', String(pipeline), '-q', ...command], { timeoutMs: 600_000 })
  const rate = /([\d.]+) requests per second/.exec(result.stdout.toString())?.[1]
  if (result.code !== 0 || !rate) throw new Error(`redis-benchmark failed: ${result.stdout.toString()} ${result.stderr}`)
  return Number(rate)
}

async function w1r1 (server: RedisServer, redis: Redis, a: MountedDir, scratch: Scratch): Promise<void> {
  const source = path.join(scratch.local, 'lines')
  await writeLines(source, LINES)
  const bytes = LINES * LINE_BYTES
  const perSecond = (count: number) => (ms: number): number => count / (ms / 1000)
  const messages = perSecond(LINES)
  const megabytes = perSecond(bytes / 1e6)

  const fsWrite = await repeat(async i => messages(await timed(() => must(`cat ${source} > ${a.dir}/w1-${i}`))))
  const payloads = (await fs.readFile(source, 'utf8')).split('\n').slice(0, LINES)
  const direct = await repeat(async i => messages(await timed(async () => {
    for (let start = 0; start < payloads.length; start += 10_000) {
      const pipeline = redis.pipeline()
      for (const payload of payloads.slice(start, start + 10_000)) pipeline.xadd(`bench:direct-w1-${i}`, '*', 'data', payload)
      await pipeline.exec()
    }
  })))
  const ceiling = await redisBenchmark(server, LINES, 16, ['XADD', 'bench:ceiling', '*', 'data', payloads[0]!])
  const fifo = await repeat(async i => await throughFifo(scratch, source, i))
  const local = await repeat(async i => messages(await timed(() => must(`cat ${source} > ${scratch.local}/w1-${i}`))))
  record({
    id: 'W1',
    workload: `${LINES} lines of ${LINE_BYTES} bytes, cat file > topic`,
    unit: 'msg/s',
    fs: fsWrite,
    baselines: [
      { name: 'ioredis pipelined XADD', value: direct },
      { name: 'redis-benchmark XADD -P 16', value: ceiling },
      { name: 'named pipe', value: messages(fifo) },
      { name: scratch.localName, value: local }
    ],
    higherIsBetter: true
  })

  const fsRead = await repeat(async i => megabytes(await timed(() => must(`cat ${a.dir}/w1-${i} > /dev/null`))))
  const directRead = await repeat(async i => megabytes(await timed(async () => {
    let after = '-'
    let total = 0
    for (;;) {
      const page = await redis.xrangeBuffer(`bench:direct-w1-${i}`, after, '+', 'COUNT', 1000)
      if (page.length === 0) break
      for (const [, fields] of page) total += fields[1]!.length + 1
      after = '(' + page[page.length - 1]![0].toString()
    }
    if (total !== bytes) throw new Error(`read ${total} bytes, expected ${bytes}`)
  })))
  // Always the same first 1000 entries: Redis's ceiling for serving entries, not a replay.
  const pages = await redisBenchmark(server, quick ? 200 : 2000, 4, ['XRANGE', 'bench:direct-w1-0', '-', '+', 'COUNT', '1000'])
  const localRead = await repeat(async i => megabytes(await timed(() => must(`cat ${scratch.local}/w1-${i} > /dev/null`))))
  record({
    id: 'R1',
    workload: `replay of W1 (${(bytes / 1e6).toPrecision(2)} MB), cat topic`,
    unit: 'MB/s',
    fs: fsRead,
    baselines: [
      { name: 'ioredis paged XRANGE', value: directRead },
      { name: 'redis-benchmark XRANGE COUNT 1000', value: pages * 1000 * LINE_BYTES / 1e6 },
      { name: 'named pipe', value: megabytes(fifo) },
      { name: scratch.localName, value: localRead }
    ],
    higherIsBetter: true
  })

  // A follower's replay of the same history: whole blocks only, since a follower waits at the end.
  const blocks = Math.floor(bytes / 131072)
  const followRead = await repeat(async i => blocks * 131072 / 1e6 / (await timed(() =>
    must(`dd if=${a.dir}/.follow/w1-${i} of=/dev/null bs=131072 count=${blocks} iflag=fullblock 2>/dev/null`)) / 1000))
  record({
    id: 'R1',
    workload: 'replay of W1 through .follow/ (dd bs=128k, whole blocks)',
    unit: 'MB/s',
    fs: followRead,
    baselines: [{ name: 'ioredis paged XRANGE', value: directRead }, { name: 'cat topic', value: fsRead }],
    higherIsBetter: true
  })
}

async function w3 (redis: Redis, a: MountedDir, floor: MountedDir, scratch: Scratch): Promise<void> {
  // One process per push, as a script calling `echo x >> topic` in a loop starts one.
  const loop = (target: string): string => `i=0; while [ $i -lt ${PUSHES} ]; do sh -c 'echo x >> ${target}'; i=$((i+1)); done`
  const perPush = (target: (run: number) => string) => repeat(async i => await timed(() => must(loop(target(i)))) / PUSHES)
  const fsTime = await perPush(i => `${a.dir}/w3-${i}`)
  const floorTime = await perPush(i => `${floor.dir}/w3-${i}`)
  const local = await perPush(i => `${scratch.local}/w3-${i}`)
  const direct = await repeat(async i => await timed(async () => {
    for (let n = 0; n < PUSHES; n++) await redis.xadd(`bench:w3-${i}`, '*', 'data', 'x')
  }) / PUSHES)
  record({ id: 'W3', workload: `${PUSHES} x sh -c 'echo x >> topic', per push`, unit: 'ms', fs: fsTime, baselines: [{ name: scratch.localName, value: local }], higherIsBetter: false })
  record({
    id: 'W3',
    workload: 'added by the filesystem per push (over the tmpfs run; target <= 1 ms)',
    unit: 'ms',
    fs: fsTime - local,
    baselines: [
      { name: 'ioredis, one awaited XADD', value: direct },
      { name: 'null FUSE filesystem, same binding', value: floorTime - local }
    ],
    higherIsBetter: false
  })
}

/** Milliseconds from a write on `writePath` to its arrival at `reader`'s output, per sample. */
async function deliveryTimes (writePath: string, reader: ChildProcess): Promise<number[]> {
  let received = ''
  let notify: (() => void) | undefined
  reader.stdout!.on('data', chunk => { received += chunk; notify?.() })
  const handle = await fs.open(writePath, 'a')
  await new Promise(resolve => setTimeout(resolve, 300))
  const samples: number[] = []
  try {
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const line = `m${i}\n`
      const arrived = new Promise<void>(resolve => { notify = () => { if (received.endsWith(line)) resolve() } })
      const started = now()
      await handle.write(line)
      await arrived
      samples.push(now() - started)
    }
  } finally {
    await handle.close()
    reader.kill('SIGKILL')
  }
  return samples
}

async function l1 (redis: Redis, a: MountedDir, b: MountedDir, scratch: Scratch): Promise<void> {
  await must(`touch ${a.dir}/lat`)
  const samples = await deliveryTimes(`${a.dir}/lat`, track(spawn('cat', [`${b.dir}/.live/lat`], { stdio: ['ignore', 'pipe', 'ignore'] })))

  const fifo = path.join(scratch.local, 'lat-fifo')
  await must(`mkfifo ${fifo}`)
  const local = await deliveryTimes(fifo, track(spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'ignore'] })))
  await fs.rm(fifo)

  const reader = redis.duplicate()
  await reader.ping()
  const direct: number[] = []
  let last = (await redis.xadd('bench:lat', '*', 'data', 'seed'))!
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const read = reader.xread('BLOCK', 5000, 'STREAMS', 'bench:lat', last)
    await new Promise(resolve => setTimeout(resolve, 1))
    const started = now()
    last = (await redis.xadd('bench:lat', '*', 'data', `m${i}`))!
    await read
    direct.push(now() - started)
  }
  reader.disconnect()
  for (const [p, name] of [[0.5, 'p50'], [0.99, 'p99']] as const) {
    record({
      id: 'L1',
      workload: `push on one mount to a .live follower on another, ${name}`,
      unit: 'ms',
      fs: percentile(samples, p),
      baselines: [{ name: 'ioredis XADD to XREAD BLOCK', value: percentile(direct, p) }, { name: 'named pipe', value: percentile(local, p) }],
      higherIsBetter: false
    })
  }
}

async function s1r2 (server: RedisServer, scratch: Scratch, rss: PeakRss): Promise<void> {
  const source = path.join(scratch.local, 'stat-lines')
  await writeLines(source, STAT_MESSAGES)
  const writer = await mount(server.url)
  await must(`cat ${source} > ${writer.dir}/big`)
  await rss.stop(writer)
  const fresh = await mount(server.url)
  try {
    const fsTime = await repeat(async () => await timed(() => must(`stat -c %s ${fresh.dir}/big`)))
    const local = await repeat(async () => await timed(() => must(`stat -c %s ${source}`)))
    record({ id: 'S1', workload: `stat of a ${STAT_MESSAGES}-message topic from a fresh mount (incl. process start)`, unit: 'ms', fs: fsTime, baselines: [{ name: `stat of a ${scratch.localName}`, value: local }], higherIsBetter: false })
    await r2(`${fresh.dir}/big`, source, STAT_MESSAGES * LINE_BYTES, scratch)
  } finally {
    await rss.stop(fresh)
  }
}

async function w2 (redis: Redis, server: RedisServer, scratch: Scratch, rss: PeakRss): Promise<void> {
  const source = path.join(scratch.local, 'binary')
  await must(`head -c ${BINARY_MIB * 1024 * 1024} /dev/urandom > ${source}`)
  const megabytes = (ms: number): number => BINARY_MIB * 1.048576 / (ms / 1000)
  const writes = await mount(server.url, { args: ['--framing', 'write', '--prefix', 'w2:'] })
  try {
    const fsRate = await repeat(async i => megabytes(await timed(() => must(`cat ${source} > ${writes.dir}/w2-${i}`))))
    const data = await fs.readFile(source)
    const chunk = 128 * 1024
    const direct = await repeat(async i => megabytes(await timed(async () => {
      const pipeline = redis.pipeline()
      for (let at = 0; at < data.length; at += chunk) pipeline.xadd(`bench:w2-${i}`, '*', 'data', data.subarray(at, at + chunk), 'raw', '1')
      await pipeline.exec()
    })))
    await redis.del(...Array.from({ length: RUNS }, (_, i) => `bench:w2-${i}`))
    const fifo = await repeat(async i => megabytes(await throughFifo(scratch, source, i)))
    const local = await repeat(async i => megabytes(await timed(() => must(`cat ${source} > ${scratch.local}/w2-${i}; rm ${scratch.local}/w2-${i}`))))
    record({
      id: 'W2',
      workload: `${BINARY_MIB} MiB of binary, --framing write`,
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

async function r1Growth (a: MountedDir, scratch: Scratch): Promise<void> {
  const source = path.join(scratch.local, 'quarter')
  const quarterLines = BIG_MIB * 1024 * 1024 / 4 / 64
  const line = 'x'.repeat(63) + '\n'
  await fs.writeFile(source, line.repeat(quarterLines))
  await must(`cat ${source} > ${a.dir}/r1-small`)
  for (let i = 0; i < 4; i++) await must(`cat ${source} >> ${a.dir}/r1-big`)
  await fs.rm(source)
  // In pairs, and the median of each pair's ratio: one burst of load from another tenant during
  // the 1 GiB read moved a single-shot ratio from 3.8x to 4.6x.
  const smalls: number[] = []
  const bigs: number[] = []
  for (let i = 0; i < RUNS; i++) {
    smalls.push(await timed(() => must(`cat ${a.dir}/r1-small > /dev/null`)))
    bigs.push(await timed(() => must(`cat ${a.dir}/r1-big > /dev/null`)))
  }
  const small = median(smalls)
  const big = median(bigs)
  record({ id: 'R1', workload: `replay of a ${BIG_MIB} MiB topic`, unit: 'MB/s', fs: BIG_MIB * 1.048576 / (big / 1000), baselines: [{ name: `replay of a ${BIG_MIB / 4} MiB topic`, value: BIG_MIB / 4 * 1.048576 / (small / 1000) }], higherIsBetter: true })
  record({ id: 'R1', workload: 'growth: time for 4x the data over 1x (target <= 4.4)', unit: 'x', fs: median(bigs.map((b, i) => b / smalls[i]!)), baselines: [{ name: 'linear', value: 4 }], higherIsBetter: false })
}

async function r2 (bigTopic: string, localCopy: string, size: number, scratch: Scratch): Promise<void> {
  const offsets = Array.from({ length: RANDOM_READS }, (_, i) => Math.floor(((i * 7919) % RANDOM_READS) / RANDOM_READS * (size - 4096)))
  const reads = (file: string) => async () => {
    for (const offset of offsets) await must(`dd if=${file} bs=4096 skip=${offset} iflag=skip_bytes count=1 status=none > /dev/null`)
  }
  const fsDd = await repeat(async () => await timed(reads(bigTopic)) / RANDOM_READS)
  const localDd = await repeat(async () => await timed(reads(localCopy)) / RANDOM_READS)
  record({ id: 'R2', workload: `dd skip= at ${RANDOM_READS} random offsets of a ${STAT_MESSAGES}-message topic, per read`, unit: 'ms', fs: fsDd, baselines: [{ name: scratch.localName, value: localDd }], higherIsBetter: false })
  const fsTail = await repeat(async () => await timed(() => must(`tail -c 100 ${bigTopic} > /dev/null`)))
  const localTail = await repeat(async () => await timed(() => must(`tail -c 100 ${localCopy} > /dev/null`)))
  record({ id: 'R2', workload: `tail -c 100 of a ${STAT_MESSAGES}-message topic`, unit: 'ms', fs: fsTail, baselines: [{ name: scratch.localName, value: localTail }], higherIsBetter: false })
}

async function s2 (a: MountedDir, floor: MountedDir, scratch: Scratch): Promise<void> {
  const make = (dir: string) => must(`mkdir -p ${dir} && cd ${dir} && seq 1 ${DIRECTORY_TOPICS} | xargs touch`)
  const list = (dir: string) => async () => await timed(() => must(`ls -l ${dir} > /dev/null`))
  for (const dir of [a.dir, floor.dir, scratch.local]) await make(`${dir}/s2`)
  const fsTime = await repeat(list(`${a.dir}/s2`))
  const floorTime = await repeat(list(`${floor.dir}/s2`))
  const local = await repeat(list(`${scratch.local}/s2`))
  record({
    id: 'S2',
    workload: `ls -l of a directory of ${DIRECTORY_TOPICS} topics (target <= 300 ms)`,
    unit: 'ms',
    fs: fsTime,
    baselines: [{ name: 'null FUSE filesystem, same binding', value: floorTime }, { name: `${scratch.localName} directory`, value: local }],
    higherIsBetter: false
  })
}

async function peakRssMiB (pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0) / 1024
}

/** The peak RSS of every daemon the run starts, for M1, read just before each one stops. */
class PeakRss {
  readonly peaks: number[] = []

  async note (mounted: MountedDir): Promise<void> {
    this.peaks.push(await peakRssMiB(mounted.daemon.pid!))
  }

  async stop (mounted: MountedDir): Promise<void> {
    await this.note(mounted)
    await mounted.stop()
  }
}

/** The in-memory filesystem of scripts/null-fuse.ts, for the binding's floor. */
function mountNullFilesystem (): Promise<MountedDir> {
  const dir = tmp.dirSync({ prefix: 'dnpipes-null-' }).name
  return serveMount(dir, [process.execPath, path.join(__dirname, 'null-fuse.js'), dir], 'mounted')
}

function printTable (): void {
  console.log('| id | workload | dnpipes | baseline | baseline figure | ratio |')
  console.log('| --- | --- | --- | --- | --- | --- |')
  for (const row of rows) {
    row.baselines.forEach((baseline, i) => {
      const head = i === 0 ? `| ${row.id} | ${row.workload} | ${row.fs.toFixed(2)} ${row.unit}` : '| | |'
      console.log(`${head} | ${baseline.name} | ${baseline.value.toFixed(2)} ${row.unit} | ${ratio(row, baseline).toFixed(2)}x |`)
    })
  }
  console.log(`\nratio > 1: dnpipes does better than that baseline; medians of ${RUNS} run(s).`)
}

function makeScratch (): { scratch: Scratch, remove: () => void } {
  const onTmpfs = statfsSync('/dev/shm', { bigint: false }).type === 0x01021994
  const dir = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-bench-', tmpdir: onTmpfs ? '/dev/shm' : undefined })
  return { scratch: { local: dir.name, localName: onTmpfs ? 'tmpfs file' : 'local file' }, remove: dir.removeCallback }
}

async function main (): Promise<void> {
  const { scratch, remove } = makeScratch()
  const server = await startRedis({ persistence: false })
  const redis = server.client()
  const rss = new PeakRss()
  const a = await mount(server.url)
  const b = await mount(server.url)
  const floor = await mountNullFilesystem()
  try {
    await w1r1(server, redis, a, scratch)
    await w3(redis, a, floor, scratch)
    await l1(redis, a, b, scratch)
    await s1r2(server, scratch, rss)
    await w2(redis, server, scratch, rss)
    await r1Growth(a, scratch)
    await s2(a, floor, scratch)
    for (const m of [a, b]) await rss.note(m)
    record({ id: 'M1', workload: `peak RSS of any of the ${rss.peaks.length} daemons over the run (target <= 150 MB)`, unit: 'MiB', fs: Math.max(...rss.peaks), baselines: [{ name: 'target', value: 150 / 1.048576 }], higherIsBetter: false })
    printTable()
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
