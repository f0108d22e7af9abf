import { execFile } from 'node:child_process'
import { constants, promises as fs } from 'node:fs'
import path from 'node:path'
import { nativeFuse } from '../fuse/native'
import { connectRedis, describeTarget, RedisClient } from '../redis/connect'
import { evictionRisk, formatBytes, readRedisMemory, RedisMemory } from '../redis/memory'
import { inspectKeyspaceEvents, KEYSPACE_EVENTS_FIX } from '../redis/keyspace-events'
import type { Cluster } from 'ioredis'
import { defaultDataDir, pingSocket, socketPathOf } from '../redis/embedded'
import { RedisEngine } from '../topics/redis/redis-engine'
import { resolveTarget, TargetOptions } from './target'

export interface DoctorOptions extends TargetOptions {
  /** The prefix of the keys whose permissions are checked. */
  prefix: string
}

interface Check {
  name: string
  ok: boolean
  detail: string
  fix?: string
  /** Works, but not as well as it could: shown, without failing the run. */
  warning?: boolean
}

function commandPath (name: string): Promise<string | undefined> {
  return new Promise(resolve => {
    execFile('sh', ['-c', `command -v ${name}`], (err, stdout) => resolve(err ? undefined : stdout.trim()))
  })
}

function hasLibfuse3 (): Promise<boolean> {
  return new Promise(resolve => {
    execFile('ldconfig', ['-p'], (err, stdout) => resolve(!err && /libfuse3\.so\.3\b/.test(stdout)))
  })
}

/** Whether the FUSE addon loads (prebuilt, or built at install); the error when it does not. */
function addonProblem (): string | undefined {
  try {
    nativeFuse()
    return undefined
  } catch (err) {
    return (err as Error).message.split('\n')[0]
  }
}

async function checkFuse (): Promise<Check[]> {
  const checks: Check[] = []
  try {
    const handle = await fs.open('/dev/fuse', constants.O_RDWR)
    await handle.close()
    checks.push({ name: '/dev/fuse', ok: true, detail: 'present and usable' })
  } catch (err) {
    checks.push({
      name: '/dev/fuse',
      ok: false,
      detail: (err as Error).message,
      fix: 'load the module (modprobe fuse); in a container run with --device /dev/fuse --cap-add SYS_ADMIN'
    })
  }
  const fusermount = await commandPath('fusermount3')
  checks.push(fusermount
    ? { name: 'fusermount3', ok: true, detail: fusermount }
    : { name: 'fusermount3', ok: false, detail: 'not found (mounting as a user other than root needs it)', fix: 'apt-get install fuse3' })
  const libfuse = await hasLibfuse3()
  checks.push(libfuse
    ? { name: 'libfuse3', ok: true, detail: 'libfuse3.so.3 found' }
    : { name: 'libfuse3', ok: false, detail: 'libfuse3.so.3 not found', fix: 'apt-get install fuse3' })
  const problem = libfuse ? addonProblem() : 'not tried without libfuse3'
  checks.push(problem === undefined
    ? { name: 'FUSE addon', ok: true, detail: 'loads' }
    : { name: 'FUSE addon', ok: false, detail: problem, fix: 'npm rebuild dnpipes (needs make, a C compiler, pkg-config and libfuse3-dev)' })
  return checks
}

async function checkRedis (options: DoctorOptions): Promise<Check[]> {
  const url = options.redis ?? (process.env.DNPIPES_REDIS_URL || undefined)
  if (!url && !options.sentinels && !options.cluster) {
    const checks: Check[] = []
    const server = await commandPath('redis-server')
    checks.push(server
      ? { name: 'redis-server', ok: true, detail: `${server} (the embedded default)` }
      : { name: 'redis-server', ok: false, detail: 'not found; the embedded default needs it', fix: 'apt-get install redis-server, or pass --redis URL' })
    const dataDir = path.resolve(options.dataDir ?? defaultDataDir())
    const running = await pingSocket(socketPathOf(dataDir))
    checks.push({ name: 'embedded Redis', ok: true, detail: running ? `running at ${socketPathOf(dataDir)}` : `not running; the first mount starts it in ${dataDir}` })
    if (!running) return checks
    return [...checks, ...await checkTarget({ kind: 'socket', path: socketPathOf(dataDir) }, options.prefix)]
  }
  try {
    // Not the embedded server: resolving starts nothing.
    return await checkTarget(await resolveTarget(options), options.prefix)
  } catch (err) {
    return [{ name: 'Redis', ok: false, detail: (err as Error).message, fix: 'check the Redis options (dnpipes mount --help)' }]
  }
}

/** Whether Redis refuses writes when full (ENOSPC, nothing lost) rather than deleting topics. */
async function checkMemory (redis: RedisClient): Promise<Check> {
  let memory: RedisMemory
  try {
    memory = await readRedisMemory(redis)
  } catch (err) {
    return { name: 'Redis memory', ok: false, warning: true, detail: `cannot read INFO memory: ${(err as Error).message}`, fix: 'let the user run info, or check maxmemory-policy by hand' }
  }
  const room = memory.limited ? 'maxmemory' : 'no maxmemory: the machine\'s memory'
  const used = `${formatBytes(memory.usedBytes)} used of ${formatBytes(memory.sizeBytes)} (${room})`
  const risk = evictionRisk(memory)
  if (risk === undefined) return { name: 'Redis memory', ok: true, detail: `${used}, maxmemory-policy noeviction` }
  return { name: 'Redis memory', ok: false, warning: true, detail: `${used}; ${risk.problem}`, fix: risk.fix }
}

/** Whether followers on the Cluster can wait on keyspace notifications (see keyspace-hub.ts). */
async function checkKeyspaceEvents (cluster: Cluster): Promise<Check> {
  const name = 'notifications'
  try {
    const { lacking, unknown } = await inspectKeyspaceEvents(cluster)
    if (unknown.length > 0) {
      return { name, ok: false, warning: true, detail: `cannot read notify-keyspace-events (${unknown.join('; ')}): unless it has K, g and t on every node, followers poll`, fix: KEYSPACE_EVENTS_FIX }
    }
    if (lacking.length > 0) return { name, ok: true, detail: `notify-keyspace-events is off on ${lacking.join(', ')}; dnpipes mount turns it on (its user may run CONFIG)` }
    return { name, ok: true, detail: 'notify-keyspace-events has K, g and t on every node: followers wait on keyspace notifications' }
  } catch (err) {
    return { name, ok: false, warning: true, detail: (err as Error).message, fix: KEYSPACE_EVENTS_FIX }
  }
}

async function checkTarget (target: Parameters<typeof connectRedis>[0], prefix: string): Promise<Check[]> {
  try {
    const redis = await connectRedis(target, { name: 'dnpipes-doctor' })
    const store = new RedisEngine(redis, { prefix, cluster: target.kind === 'cluster' })
    try {
      const info = await redis.info('server')
      const version = /redis_version:([\d.]+)/.exec(info)?.[1] ?? 'unknown'
      const problem = await store.pageProblem()
      return [
        { name: 'Redis', ok: true, detail: `Redis ${version} at ${describeTarget(target)}` },
        await checkMemory(redis),
        ...target.kind === 'cluster' ? [await checkKeyspaceEvents(redis as Cluster)] : [],
        problem === undefined
          ? { name: 'replay pages', ok: true, detail: 'plain XRANGE pages on a connection of their own' }
          : {
              name: 'replay pages',
              ok: false,
              warning: true,
              detail: `replays go through the read script, which is slower: ${problem}`,
              fix: 'let the user run multi, exec, hmget, xrange and zrevrangebyscore on the prefix\'s keys'
            }
      ]
    } finally {
      store.close()
      redis.disconnect()
    }
  } catch (err) {
    return [{
      name: 'Redis',
      ok: false,
      detail: (err as Error).message,
      fix: 'check the URL (--redis or DNPIPES_REDIS_URL), that the server runs and is reachable from here, and the user and password'
    }]
  }
}

/** Checks what mounting needs and says how to fix what is missing. Exit 1 if anything is. */
export async function doctorCommand (options: DoctorOptions): Promise<boolean> {
  const checks = [
    { name: 'node', ok: Number(process.versions.node.split('.')[0]) >= 20, detail: process.version, fix: 'install Node.js 20 or newer' },
    ...await checkFuse(),
    ...await checkRedis(options)
  ]
  const width = Math.max(...checks.map(check => check.name.length))
  for (const check of checks) {
    console.log(`${check.ok ? 'ok  ' : check.warning ? 'warn' : 'FAIL'}  ${check.name.padEnd(width)}  ${check.detail}`)
    if (!check.ok && check.fix) console.log(`      ${' '.repeat(width)}  fix: ${check.fix}`)
  }
  return checks.every(check => check.ok || check.warning)
}
