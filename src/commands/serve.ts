import { mountLog } from '../log'
import { buildOperations } from '../mount/fuse-ops'
import { DnpipesFilesystem } from '../mount/filesystem'
import { detachMount, serveConnection } from '../mount/lifecycle'
import type { FuseSession } from '../fuse/session'
import { pollUntil } from '../util/deadline'
import { Metrics, parseListen } from '../mount/metrics'
import { XATTR_PREFIX } from '../mount/xattrs'
import { connectRedis, describeTarget, RedisTarget } from '../redis/connect'
import { ConnectionWatch } from '../redis/health'
import { evictionRisk, readRedisMemory } from '../redis/memory'
import { KEYSPACE_EVENTS_FIX, prepareKeyspaceEvents } from '../redis/keyspace-events'
import type { Cluster, Redis } from 'ioredis'
import { RedisSpace } from '../mount/space'
import { MOUNT_CLIENT_NAME, stopEmbeddedIfUnused } from '../redis/embedded'
import { GroupFiles } from '../mount/views/group-files'
import { DerivedSettings, deriveSettings, groupPolicyOf, MountSettings } from '../options'
import { consumerName } from '../topics/consumer-names'
import type { TopicEngine } from '../topics/engine'
import { openRoot, RootedEngine } from '../topics/rooted-engine'
import { RedisEngine } from '../topics/redis/redis-engine'
import { PageGarbage, v8Collector } from '../util/page-garbage'
import { resolveTarget, TargetOptions } from './target'
import { firstHandleOf, ServerHandover, ServerMessage, SupervisorMessage } from '../restart/handover'
import { ServerState } from '../restart/server-state'
import { removeStateDir } from '../restart/state-dir'

/** How long a server handing over waits for the requests it read to be answered. */
const HAND_OVER_DRAIN_MS = 5000
const HAND_OVER_POLL_MS = 10

/** See src/util/page-garbage.ts: measured on a 1 GiB replay. */
const GARBAGE_EVERY_BYTES = 8 * 1024 * 1024

export type MountCommandOptions = TargetOptions & MountSettings

/**
 * On a Cluster, followers wait on keyspace notifications, which the mount turns on where they
 * are off; where it may not, it says so on stderr and followers poll instead.
 */
async function followersCanUseKeyspaceEvents (cluster: Cluster): Promise<boolean> {
  const state = await prepareKeyspaceEvents(cluster)
  if (state.changed.length > 0) mountLog('turned on the keyspace notifications followers need on %s', state.changed.join(', '))
  if (state.problem === undefined) return true
  console.error(`dnpipes: warning: ${state.problem}. Followers on this mount find entries other clients add by polling every followed topic 4 times a second, and every append is announced to every node. Fix: ${KEYSPACE_EVENTS_FIX}, then mount again`)
  return false
}

/** Says on stderr, before the mount is ready, when Redis may delete topics to make room. */
async function warnOfEviction (space: RedisSpace): Promise<void> {
  try {
    const memory = await space.memory()
    const risk = memory && evictionRisk(memory)
    if (risk) console.error(`dnpipes: warning: Redis ${risk.problem}. Fix: ${risk.fix}`)
  } catch (err) {
    mountLog('reading Redis memory: %s', (err as Error).message)
  }
}

/** The Redis connection and the engine a server serves, and how it lets go of them. */
interface ServedEngine {
  redis: Redis | Cluster
  engine: TopicEngine
  /** Pages of replies to collect early (see src/util/page-garbage.ts). */
  garbage: PageGarbage
  /** Lets go of Redis; the embedded server stops when no other mount uses it. */
  release: () => Promise<void>
}

async function openEngine (options: MountCommandOptions, target: RedisTarget, derived: DerivedSettings): Promise<ServedEngine> {
  const redis = await connectRedis(target, { name: MOUNT_CLIENT_NAME, commandTimeoutMs: derived.redisCommandTimeoutMs, connectTimeoutMs: derived.connectTimeoutMs })
  const release = async (): Promise<void> => {
    store.close()
    if (target.kind === 'socket') await stopEmbeddedIfUnused(redis, target.path).catch(err => mountLog('embedded stop: %s', err.message))
    redis.disconnect()
  }
  const keyspaceEvents = target.kind === 'cluster' && await followersCanUseKeyspaceEvents(redis as Cluster)
  const garbage = new PageGarbage(GARBAGE_EVERY_BYTES, v8Collector())
  const store = new RedisEngine(redis, {
    prefix: options.prefix,
    waitReplicas: options.waitReplicas,
    waitTimeoutMs: derived.waitTimeoutMs,
    cluster: target.kind === 'cluster',
    holdDirectories: true,
    holdTopics: true,
    defaultRetention: { messages: options.retainMessages, bytes: options.retainBytes, seconds: options.retainSeconds },
    keyspaceEvents,
    onReplyBytes: bytes => garbage.note(bytes)
  })
  // Not fatal: ioredis sends a script the server lacks when it is first run.
  await store.preload().catch(err => mountLog('loading the scripts: %s', err.message))
  const engine = options.root === undefined ? store : await openRoot(store, options.root, options.readOnly).catch(async err => {
    await release()
    throw new Error(`cannot serve --root ${options.root}: ${(err as Error).message}`)
  })
  return { redis, engine, garbage, release }
}

/** The mount's filesystem over `engine`, its .group/ files counted in `observed.metrics` once there are metrics. */
function buildFilesystem (engine: TopicEngine, options: MountCommandOptions, handover: ServerHandover, state: ServerState, observed: { metrics?: Metrics }): DnpipesFilesystem {
  const groups = new GroupFiles(engine, {
    policy: groupPolicyOf(options),
    consumer: consumerName('mount', handover.mountPid),
    events: {
      delivered: (group, delivery) => observed.metrics?.groupEvents.delivered(group, delivery),
      acknowledged: group => observed.metrics?.groupEvents.acknowledged(group),
      deadLettered: group => observed.metrics?.groupEvents.deadLettered(group)
    }
  })
  return new DnpipesFilesystem(engine, {
    journal: state.fileJournal,
    writer: handover.writer,
    firstHandle: firstHandleOf(handover.generation),
    framing: options.framing,
    otrunc: options.otrunc,
    readOnly: options.readOnly,
    shownAs: { uid: options.uid, gid: options.gid, umask: options.umask },
    onMessages: (direction, count) => (direction === 'pushed' ? observed.metrics?.messagesPushed : observed.metrics?.messagesRead)?.inc(count),
    groups
  })
}

/** The Prometheus endpoint of --metrics, and the note the ready line gives of it ('' without). */
async function serveMetrics (options: MountCommandOptions, filesystem: DnpipesFilesystem, served: ServedEngine, space: RedisSpace): Promise<{ metrics?: Metrics, note: string }> {
  if (!options.metrics) return { note: '' }
  const metrics = new Metrics({ blockedFollowers: () => filesystem.followers.blocked, redisStatus: () => served.redis.status, redisMemory: () => space.memory() })
  const { host, port } = parseListen(options.metrics)
  const bound = await metrics.serve(host, port).catch(async err => {
    await served.release()
    throw new Error(`cannot serve metrics on ${options.metrics}: ${err.message}`)
  })
  return { metrics, note: `, metrics on http://${host.includes(':') ? `[${host}]` : host}:${bound.port}/metrics` }
}

/**
 * The server of a mount (restart/supervisor.ts starts it): serves the connection it was handed
 * until SIGINT, SIGTERM, an unmount from outside or the end of the mount process; or, asked to
 * hand over, until the next server can take over.
 */
export async function serveCommand (mountpoint: string, options: MountCommandOptions, handover: ServerHandover): Promise<void> {
  process.title = 'dnpipes-server'
  const tell = (message: ServerMessage): void => { if (process.connected) process.send?.(message) }
  const derived = deriveSettings(options)
  const target = await resolveTarget(options)
  const opened = await openEngine(options, target, derived)
  const { redis, engine, garbage } = opened
  const space = new RedisSpace(() => readRedisMemory(redis))
  await warnOfEviction(space)
  const observed: { metrics?: Metrics } = {}
  const state = new ServerState(handover.stateDir)
  const filesystem = buildFilesystem(engine, options, handover, state, observed)
  const { metrics, note: metricsNote } = await serveMetrics(options, filesystem, opened, space)
  observed.metrics = metrics
  const watch = new ConnectionWatch(redis)
  const ops = buildOperations(filesystem, {
    opTimeoutMs: derived.opTimeoutMs,
    metrics,
    onTimeout: () => watch.suspect(),
    garbage,
    statfs: () => space.statfs()
  })
  filesystem.adoptFiles(state.files)
  state.start(() => filesystem.fileStates())
  const served = await serveConnection(mountpoint, handover.fd, ops, {
    ownXattrs: XATTR_PREFIX,
    nodes: state.nodes,
    firstHandle: firstHandleOf(handover.generation),
    session: {
      resume: handover.negotiated,
      onInit: negotiated => tell({ kind: 'init', negotiated }),
      beforeWrite: () => state.flush()
    }
  })
  filesystem.keepHeldAttributes(fusePath => served.attributesChanged(fusePath))
  const rootNote = engine instanceof RootedEngine ? `, root "${engine.root}"` : ''
  if (handover.generation === 0) console.log(`dnpipes: mounted ${mountpoint} (${describeTarget(target)}, prefix "${options.prefix}"${rootNote}, framing ${options.framing}${metricsNote})`)
  else console.error(`dnpipes: serving ${mountpoint} again (server ${handover.generation + 1}, pid ${process.pid}; ${state.files.size} open file(s) and ${state.nodes.size - 1} node(s) taken over)`)
  tell({ kind: 'ready' })

  const reason = await whyServingEnds(served.gone)
  mountLog('stopping: %s', reason)
  if (reason === 'hand-over') return handOver(served.session, filesystem, state)
  tell({ kind: 'stopping', reason })
  await filesystem.releaseFollowers()
  mountLog('followers released; stopping')
  served.stop()
  state.close()
  if (reason === MOUNT_PROCESS_GONE) {
    await unmountOrphaned(mountpoint)
    removeStateDir(handover.stateDir)
  }
  await opened.release()
}

/** Resolves with why this server stops: a signal, an unmount from outside, the mount process gone, or a hand-over. */
function whyServingEnds (gone: Promise<void>): Promise<string> {
  return new Promise<string>(resolve => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
    process.once('SIGHUP', () => resolve('SIGHUP'))
    // The mount process is gone: nobody is left to unmount, so this server does.
    process.once('disconnect', () => resolve(MOUNT_PROCESS_GONE))
    process.on('message', (message: SupervisorMessage) => { if (message.kind === 'hand-over') resolve('hand-over') })
    gone.then(() => resolve('unmounted'), () => undefined)
  })
}

const MOUNT_PROCESS_GONE = 'the mount process ended'

/**
 * An upgrade: reads no more requests, lets those that end on their own (writes, stats) be
 * answered, and exits, leaving blocked reads to the next server, which has the kernel send
 * them again. Their followers lose nothing: the journal says where each one is.
 */
async function handOver (session: FuseSession, filesystem: DnpipesFilesystem, state: ServerState): Promise<void> {
  session.pause()
  const drained = await pollUntil(() => session.pending <= filesystem.followers.blocked, { timeoutMs: HAND_OVER_DRAIN_MS, intervalMs: HAND_OVER_POLL_MS })
  if (!drained) mountLog('handing over with %d request(s) unanswered: the next server gets them again', session.pending - filesystem.followers.blocked)
  state.close()
  await new Promise<void>(resolve => {
    if (!process.send || !process.connected) return resolve()
    process.send({ kind: 'handed-over' } satisfies ServerMessage, () => resolve())
  })
}

/** The mount process died: this server unmounts, as it would have (files still open keep what they had). */
async function unmountOrphaned (mountpoint: string): Promise<void> {
  console.error(`dnpipes: the mount process of ${mountpoint} is gone: unmounting`)
  await detachMount(mountpoint).catch(err => console.error(`dnpipes: cannot unmount ${mountpoint}: ${(err as Error).message}`))
}
