import http from 'node:http'
import t from 'tap'
import { CLI } from '../../scripts/support/mount'
import { bash, run } from '../../scripts/support/processes'
import { parseMemoryInfo, ServerMemory } from '../../src/redis/memory'
import { sleep } from '../../src/util/deadline'
import { mountFor, redisFor } from '../helpers/fixture'

// Redis's memory as a user sees it: df on the mount, metrics, the eviction warning at mount and
// in doctor, and a full Redis answering ENOSPC with nothing torn. Real Redis, real mounts.

const MiB = 1024 * 1024
/** A statfs reading is kept this long (src/mount/space.ts): wait it out after a CONFIG SET. */
const SPACE_FRESH_MS = 1100


/**
 * Writes blocks `from`..`to` of 50 lines of 1000 bytes ("b0001-l01-ppp…"), each block in one
 * write(2) (dd from a file: a shell's printf would write in pieces of its buffer's size), and
 * stops at the first that fails. Returns the block that failed, or undefined, and dd's stderr.
 */
async function writeBlocks (topic: string, from: number, to: number): Promise<{ failedAt?: number, stderr: string }> {
  const writer = await bash(`
    pad=$(head -c 990 /dev/zero | tr '\\0' p)
    block=$(mktemp)
    trap 'rm -f $block' EXIT
    for b in $(seq ${from} ${to}); do
      for l in $(seq 1 50); do printf 'b%04d-l%02d-%s\\n' $b $l "$pad"; done > $block
      dd if=$block of=${topic} bs=64K oflag=append conv=notrunc status=none || { echo "failed at $b"; exit 0; }
    done`)
  const failedAt = /failed at (\d+)/.exec(writer.stdout.toString())?.[1]
  return { failedAt: failedAt === undefined ? undefined : Number(failedAt), stderr: writer.stderr }
}

/** The first 10 characters of every line blocks `from`..`to` of writeBlocks have. */
function blockLines (from: number, to: number): string[] {
  return Array.from({ length: (to - from + 1) * 50 }, (_, i) => `b${String(from + Math.floor(i / 50)).padStart(4, '0')}-l${String(i % 50 + 1).padStart(2, '0')}-`)
}

const memoryOf = async (redis: { info (section: string): Promise<string> }): Promise<ServerMemory> => parseMemoryInfo(await redis.info('memory'))

/** `df -B1` of a directory: size and used, in bytes. */
async function df (dir: string): Promise<{ size: number, used: number }> {
  const result = await bash(`df -B1 --output=size,used ${dir} | tail -n 1`)
  const [size, used] = result.stdout.toString().trim().split(/\s+/).map(Number)
  return { size: size!, used: used! }
}

t.test('df shows maxmemory as the size and used_memory as used, the machine\'s memory without maxmemory; metrics show both', async t => {
  const server = await redisFor(t)
  const mounted = await mountFor(t, server, { args: ['--metrics', '0'] })
  const unlimited = await df(mounted.dir)
  const before = await memoryOf(server.client())
  t.equal(unlimited.size, Math.floor(before.systemBytes / 4096) * 4096, 'no maxmemory: the machine\'s memory, as Redis reports it')
  t.ok(Math.abs(unlimited.used - before.usedBytes) < MiB, `used ${unlimited.used} is Redis's used_memory (${before.usedBytes})`)

  await server.client().config('SET', 'maxmemory', String(64 * MiB))
  await bash(`head -c ${4 * MiB} /dev/zero | tr '\\0' x | fold -w 99 >> ${mounted.dir}/bulk`)
  await sleep(SPACE_FRESH_MS)
  const limited = await df(mounted.dir)
  const after = await memoryOf(server.client())
  t.equal(limited.size, 64 * MiB, 'maxmemory')
  t.ok(limited.used > unlimited.used + 3 * MiB, `used grew with the topic: ${unlimited.used} -> ${limited.used}`)
  t.ok(Math.abs(limited.used - after.usedBytes) < MiB, `used ${limited.used} is Redis's used_memory (${after.usedBytes})`)
  t.match((await bash(`df -h ${mounted.dir}`)).stdout.toString(), /^dnpipes:\d+ +64M /m, 'df -h, as a user reads it')

  const url = /metrics on (http:[^\s)]+)/.exec(mounted.output())![1]!
  const body = await new Promise<string>((resolve, reject) => {
    http.get(url, response => {
      let text = ''
      response.on('data', chunk => { text += chunk })
      response.on('end', () => resolve(text))
    }).on('error', reject)
  })
  t.match(body, new RegExp(`^dnpipes_redis_memory_max_bytes ${64 * MiB}$`, 'm'))
  const used = Number(/^dnpipes_redis_memory_used_bytes (\d+)$/m.exec(body)?.[1])
  t.ok(Math.abs(used - after.usedBytes) < MiB, `the used gauge (${used}) is used_memory`)
})

t.test('an evicting maxmemory-policy: a warning when mounting and from doctor, which still passes; none for noeviction', async t => {
  const evicting = await redisFor(t)
  await evicting.client().config('SET', 'maxmemory-policy', 'allkeys-lru')
  const mounted = await mountFor(t, evicting)
  t.match(mounted.output(), /^dnpipes: warning: Redis maxmemory-policy is allkeys-lru: when Redis is full it deletes keys, so whole topics can vanish without an error\. Fix: redis-cli CONFIG SET maxmemory-policy noeviction/m)
  t.ok(mounted.output().indexOf('warning') < mounted.output().indexOf('mounted'), 'said before the mount is ready')
  const doctor = await run(process.execPath, [CLI, 'doctor', '--redis', evicting.url])
  t.equal(doctor.code, 0, 'a warning does not fail doctor')
  t.match(doctor.stdout.toString(), /^warn +Redis memory +[\d.]+[BKMG] used of [\d.]+[KMGT] \(no maxmemory: the machine's memory\); maxmemory-policy is allkeys-lru: /m)
  t.match(doctor.stdout.toString(), /fix: redis-cli CONFIG SET maxmemory-policy noeviction/)

  const safe = await redisFor(t)
  await safe.client().config('SET', 'maxmemory', String(100 * MiB))
  const quiet = await mountFor(t, safe)
  t.notMatch(quiet.output(), /warning/)
  const fine = await run(process.execPath, [CLI, 'doctor', '--redis', safe.url])
  t.match(fine.stdout.toString(), /^ok +Redis memory +[\d.]+[BKM] used of 100M \(maxmemory\), maxmemory-policy noeviction$/m)
})

t.test('a full Redis: writes fail with ENOSPC, every acknowledged write is there whole, nothing else; a reset or more room lets writes go on', async t => {
  const server = await redisFor(t)
  const mounted = await mountFor(t, server)
  const redis = server.client()
  const topic = `${mounted.dir}/full`
  await bash(`touch ${topic}; echo x > ${mounted.dir}/other`)
  await redis.config('SET', 'maxmemory', String((await memoryOf(redis)).usedBytes + 2 * MiB))
  const { failedAt = 0, stderr } = await writeBlocks(topic, 1, 400)
  t.ok(failedAt > 1, `writes were taken until Redis was full (block ${failedAt} failed)`)
  t.match(stderr, /dd: error writing '.*': No space left on device/, 'the errno a full disk gives')
  const lines = (await bash(`cat ${topic}`)).stdout.toString().split('\n').slice(0, -1)
  const expected = blockLines(1, failedAt - 1)
  t.equal(lines.length, expected.length, 'every line of every acknowledged write, no line of the failed one')
  t.ok(lines.every((line, i) => line.startsWith(expected[i]!) && line.length === 1000), 'each whole, in order')
  t.equal((await bash(`stat -c %s ${topic}`)).stdout.toString(), `${lines.length * 1001}\n`, 'the size agrees')

  // Full for certain from here: what Redis held for the failed write (its query buffer, the
  // script's reply) may have been freed since, room enough for a short line.
  await redis.config('SET', 'maxmemory', String((await memoryOf(redis)).usedBytes - MiB))
  t.equal((await bash(`{ echo one more >> ${topic}; } 2>&1`)).stdout.toString(), `bash: line 1: echo: write error: No space left on device\n`, 'still full')
  t.equal((await bash(`{ touch ${mounted.dir}/new; } 2>&1`)).stdout.toString(), `touch: cannot touch '${mounted.dir}/new': No space left on device\n`, 'nor can a topic be made')
  t.equal((await bash(`rm ${mounted.dir}/other && echo removed`)).stdout.toString(), 'removed\n', 'a removal needs no room')
  t.equal((await bash(`truncate -s 0 ${topic} && echo reset`)).stdout.toString(), 'reset\n', 'nor does a reset')
  await redis.config('SET', 'maxmemory', '0')
  t.equal((await bash(`echo after >> ${topic} && cat ${topic}`)).stdout.toString(), 'after\n', 'writes go on: the daemon stayed up')
})

t.test('a full Redis: a topic at its retention limit goes on taking writes, each trimming what it adds; one below its limit, or without one, gets ENOSPC', async t => {
  const server = await redisFor(t)
  const mounted = await mountFor(t, server)
  const redis = server.client()
  const [bounded, roomy, unbounded] = ['bounded', 'roomy', 'unbounded'].map(name => `${mounted.dir}/${name}`) as [string, string, string]
  await bash(`touch ${bounded} ${roomy} ${unbounded} && setfattr -n user.dnpipes.retain-messages -v 200 ${bounded} && setfattr -n user.dnpipes.retain-messages -v 100000 ${roomy}`)
  t.equal((await writeBlocks(bounded, 1, 4)).failedAt, undefined, 'the bounded topic filled to its 200 messages')
  await redis.config('SET', 'maxmemory', String((await memoryOf(redis)).usedBytes + 2 * MiB))
  const { failedAt } = await writeBlocks(unbounded, 1, 400)
  t.ok(failedAt !== undefined, `Redis is full (the unbounded topic's block ${failedAt} failed)`)

  const before = (await memoryOf(redis)).usedBytes
  const { failedAt: boundedFailed, stderr } = await writeBlocks(bounded, 5, 104)
  t.equal(boundedFailed, undefined, 'every one of 100 more writes of 50 messages to the bounded topic succeeded', { stderr })
  const lines = (await bash(`cat ${bounded}`)).stdout.toString().split('\n').slice(0, -1)
  t.strictSame(lines.map(line => line.slice(0, 10)), blockLines(101, 104), 'it holds its newest 200 messages, in order')
  t.ok(lines.every(line => line.length === 1000), 'each whole')
  t.equal((await bash(`stat -c %s ${bounded}`)).stdout.toString(), `${200 * 1001}\n`, 'the size agrees')
  const grown = (await memoryOf(redis)).usedBytes - before
  t.ok(grown < MiB, `Redis's memory stayed put while 5 MB went through (${grown} bytes more)`)

  const refused = '{ echo more >> %s; } 2>&1'
  t.match((await bash(refused.replace('%s', roomy))).stdout.toString(), /No space left on device/, 'a topic below its limit has nothing to trim: ENOSPC')
  t.match((await bash(refused.replace('%s', unbounded))).stdout.toString(), /No space left on device/, 'a topic without limits: ENOSPC')
  t.equal((await bash(`cat ${roomy}`)).stdout.toString(), '', 'nothing of the refused write')
})
