import { ChildProcess, spawn } from 'node:child_process'
import { promises as fs } from 'node:fs'
import Redis from 'ioredis'
import { mount, MountedDir, serverPid } from './support/mount'
import { track } from './support/processes'
import { RedisServer, startRedis, waitFor } from './support/redis-server'

/**
 * Soak (not in CI): writers, followers and periodic resets across two mounts for a while,
 * printing each minute the throughput, the errors and each mount's server's RSS, which should stay flat.
 * `node dist/scripts/soak.js [--minutes 10] [--writers 8] [--followers 8] [--reset-every 30] [--kill-every 0]`
 * With --kill-every N, Redis (with an AOF, fsync always) is killed with SIGKILL every N seconds
 * and started again 1.5 s later: writes fail meanwhile (counted apart), and every follower must
 * still be running, and delivering, at the end.
 */

function option (name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? fallback : Number(process.argv[at + 1])
}

const MINUTES = option('minutes', 10)
const WRITERS = option('writers', 8)
const FOLLOWERS = option('followers', 8)
const RESET_EVERY_S = option('reset-every', 30)
const KILL_EVERY_S = option('kill-every', 0)
const TOPICS = 4
/** How long Redis stays down in each kill cycle: long enough for every operation to fail once. */
const DOWN_MS = 1500
/** Loading the AOF a run of this size writes takes seconds; beyond this something is wrong. */
const LOAD_TIMEOUT_MS = 60_000

async function rssMiB (pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0) / 1024
}

/** What the writers, followers, resets and kills of a soak count, and tell each other. */
interface Soak {
  stopping: boolean
  lines: number
  errors: number
  followed: number
  /** The bytes each follower got. */
  followedBy: number[]
  outageErrors: number
  /** Failures outside the outages, by operation and code, for the summary. */
  failures: Map<string, number>
  /** Whether a kill cycle is on (see startKills). */
  down: boolean
  kills: number
}

/** The path of topic `i` on mount `m`. */
type TopicPath = (i: number, m: number) => string

async function main (): Promise<void> {
  const killing = KILL_EVERY_S > 0
  const server = await startRedis({ persistence: killing })
  const args = killing ? ['--op-timeout', '1000'] : []
  const mounts: MountedDir[] = [await mount(server.url, { args }), await mount(server.url, { args })]
  const topic: TopicPath = (i, m) => `${mounts[m % 2]!.dir}/soak-${i % TOPICS}`
  for (let i = 0; i < TOPICS; i++) await fs.writeFile(topic(i, 0), '')
  const soak: Soak = {
    stopping: false, lines: 0, errors: 0, followed: 0, followedBy: new Array<number>(FOLLOWERS).fill(0),
    outageErrors: 0, failures: new Map(), down: false, kills: 0
  }
  const writers = startWriters(soak, topic)
  const followers = startFollowers(soak, topic)
  const stopKills = killing ? startKills(soak, server) : async () => {}
  const resets = startResets(soak, topic)
  const { rss, lastMinute } = await everyMinute(soak, mounts, killing)
  await stopKills()
  const running = followers.filter(child => child.exitCode === null && child.signalCode === null).length
  const delivering = soak.followedBy.filter((bytes, f) => bytes > lastMinute[f]!).length
  soak.stopping = true
  clearInterval(resets)
  await Promise.all(writers)
  for (const child of followers) child.kill('SIGTERM')
  for (const m of mounts) await m.stop()
  await server.stop()
  summarize(soak, rss, running, delivering, killing)
}

/** Counts a failure outside the outages. */
function failed (soak: Soak, what: string, err: unknown): void {
  soak.errors++
  const key = `${what} ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`
  soak.failures.set(key, (soak.failures.get(key) ?? 0) + 1)
}

/** The writers: each appends batches of 50 lines to its topic until the soak stops. */
function startWriters (soak: Soak, topic: TopicPath): Array<Promise<void>> {
  return Array.from({ length: WRITERS }, async (_, w) => {
    const handle = await fs.open(topic(w, w), 'a')
    const batch = Array.from({ length: 50 }, (_, i) => `writer ${w} line ${i} ${'x'.repeat(40)}\n`).join('')
    while (!soak.stopping) {
      try {
        await handle.write(batch)
        soak.lines += 50
      } catch (err) {
        if (soak.down) soak.outageErrors++
        else failed(soak, 'write', err)
        await new Promise(resolve => setTimeout(resolve, 100))
      }
    }
    await handle.close().catch(err => failed(soak, 'close', err))
  })
}

/** The followers: a cat of each topic's .follow/ file, on the other mount than its writer's. */
function startFollowers (soak: Soak, topic: TopicPath): ChildProcess[] {
  const followers: ChildProcess[] = []
  for (let f = 0; f < FOLLOWERS; f++) {
    const child = track(spawn('cat', [topic(f, f + 1).replace(/soak-/, '.follow/soak-')], { stdio: ['ignore', 'pipe', 'ignore'] }))
    child.stdout!.on('data', chunk => { soak.followed += chunk.length; soak.followedBy[f] += chunk.length })
    followers.push(child)
  }
  return followers
}

/**
 * Kills Redis every KILL_EVERY_S seconds, starting half a period in; resolves the returned
 * stopper once no more kills come and the last cycle is over.
 */
function startKills (soak: Soak, server: RedisServer): () => Promise<void> {
  // A kill cycle counts as an outage from the kill until a second after Redis is back, so that
  // the writes already failing then are not taken for errors.
  /** Whether Redis applies a write now (a connection of its own each time: Redis was just restarted). */
  const takesWrites = async (): Promise<boolean> => {
    const probe = new Redis(server.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 })
    probe.on('error', () => undefined)
    try {
      await probe.connect()
      return await probe.set('soak:probe', String(soak.kills)) === 'OK'
    } catch {
      return false
    } finally {
      probe.disconnect()
    }
  }
  const kill = async (): Promise<void> => {
    soak.down = true
    await server.stop('SIGKILL')
    await new Promise(resolve => setTimeout(resolve, DOWN_MS))
    await server.start()
    // PING answers while the AOF is still loading, and writes get LOADING until it is done.
    await waitFor(takesWrites, LOAD_TIMEOUT_MS, 'Redis to take writes again')
    soak.kills++
    setTimeout(() => { soak.down = false }, 1000)
  }
  let killCycle = Promise.resolve()
  let killer: NodeJS.Timeout | undefined
  // Kills start half a reset period in, so that they do not always fall on the resets.
  const firstKill = setTimeout(() => {
    killCycle = killCycle.then(kill)
    killer = setInterval(() => { killCycle = killCycle.then(kill) }, KILL_EVERY_S * 1000)
  }, KILL_EVERY_S * 500)
  return async () => {
    clearTimeout(firstKill)
    clearInterval(killer)
    await killCycle
  }
}

/** Truncates every topic each RESET_EVERY_S seconds. */
function startResets (soak: Soak, topic: TopicPath): NodeJS.Timeout {
  return setInterval(() => {
    for (let i = 0; i < TOPICS; i++) {
      fs.truncate(topic(i, i), 0).catch(err => {
        if (soak.down) soak.outageErrors++
        else failed(soak, 'reset', err)
      })
    }
  }, RESET_EVERY_S * 1000)
}

/**
 * Prints a line each minute for MINUTES minutes; resolves with each minute's RSS of the mounts'
 * servers and what each follower had got when the last minute began.
 */
async function everyMinute (soak: Soak, mounts: MountedDir[], killing: boolean): Promise<{ rss: number[][], lastMinute: number[] }> {
  const rss: number[][] = []
  console.log(`minute  lines/s  followed MB/s  errors${killing ? '  outage errors  kills' : ''}  server RSS MiB`)
  let lastMinute = soak.followedBy
  for (let minute = 1; minute <= MINUTES; minute++) {
    const before = { lines: soak.lines, followed: soak.followed, errors: soak.errors, outageErrors: soak.outageErrors }
    lastMinute = [...soak.followedBy]
    await new Promise(resolve => setTimeout(resolve, 60_000))
    const now = await Promise.all(mounts.map(async m => await rssMiB(await serverPid(m.daemon.pid!))))
    rss.push(now)
    console.log(`${String(minute).padStart(6)}  ${String(Math.round((soak.lines - before.lines) / 60)).padStart(7)}  ` +
      `${((soak.followed - before.followed) / 60 / 1e6).toFixed(2).padStart(13)}  ${String(soak.errors - before.errors).padStart(6)}  ` +
      `${killing ? `${String(soak.outageErrors - before.outageErrors).padStart(13)}  ${String(soak.kills).padStart(5)}  ` : ''}${now.map(r => r.toFixed(0)).join(' / ')}`)
  }
  return { rss, lastMinute }
}

/** Prints the summary and exits: 0 when nothing failed, RSS stayed flat and every follower ran and delivered to the end. */
function summarize (soak: Soak, rss: number[][], running: number, delivering: number, killing: boolean): void {
  const { errors, failures, kills, outageErrors } = soak
  const first = rss[0]!
  const last = rss[rss.length - 1]!
  const growth = Math.max(...last.map((r, i) => r / first[i]!))
  console.log(`\nerrors: ${errors}${errors > 0 ? ` (${[...failures].map(([key, n]) => `${n} × ${key}`).join(', ')})` : ''}; RSS from ${first.map(r => r.toFixed(0)).join('/')} to ${last.map(r => r.toFixed(0)).join('/')} MiB (x${growth.toFixed(2)})`)
  console.log(`followers: ${running} of ${FOLLOWERS} still running at the end, ${delivering} delivering in the last minute` +
    (killing ? `; ${kills} kills of Redis, ${outageErrors} writes failed during them` : ''))
  process.exit(errors === 0 && growth < 1.5 && running === FOLLOWERS && delivering === FOLLOWERS ? 0 : 1)
}

main().catch(err => {
  console.error(err)
  process.exit(1)
})
