import type { Cluster, Redis } from 'ioredis'
import { typedRedisError } from './errors'

/**
 * Keyspace notifications are what followers on a Redis Cluster wait on (see keyspace-hub.ts):
 * K (the __keyspace@DB__:KEY channel), t (stream commands: xadd, xtrim, …) and g (generic ones:
 * del, rename, restore, …). Redis shows them in its own order ("gtK"); A stands for every class
 * but key misses and new keys, so "AK" has them too.
 */
const NEEDED = ['K', 'g', 't']
const ALL_CLASSES = 'g$lshzxetd'

/** The classes `current` lacks of those followers need ('' when it has them all). */
export function missingEventFlags (current: string): string {
  const has = (flag: string): boolean => current.includes(flag) || (flag !== 'K' && current.includes('A') && ALL_CLASSES.includes(flag))
  return NEEDED.filter(flag => !has(flag)).join('')
}

/** `node`'s notify-keyspace-events. */
async function eventFlagsOf (node: Redis): Promise<string> {
  const reply = await node.config('GET', 'notify-keyspace-events') as string[]
  return reply[1] ?? ''
}

/**
 * Adds to `node`'s notify-keyspace-events the classes followers need. Resolves with whether it
 * had to change it; rejects (typed) when the user may not run CONFIG or the server refuses it.
 */
export async function ensureEventFlags (node: Redis): Promise<boolean> {
  try {
    const current = await eventFlagsOf(node)
    const missing = missingEventFlags(current)
    if (missing === '') return false
    await node.config('SET', 'notify-keyspace-events', current + missing)
    return true
  } catch (err) {
    throw typedRedisError(err)
  }
}

/** "host:port" of every node CLUSTER NODES lists as reachable, masters and replicas. */
export function clusterNodeAddresses (clusterNodes: string): string[] {
  const addresses: string[] = []
  for (const line of clusterNodes.split('\n')) {
    const [, address, flags] = line.split(' ')
    if (!address || !flags || /fail|handshake|noaddr/.test(flags)) continue
    addresses.push(address.split('@')[0]!)
  }
  return addresses
}

/** What preparing the nodes did. */
export interface KeyspaceEventsState {
  /** Nodes ("host:port") whose setting was changed. */
  changed: string[]
  /** Why followers cannot rely on the notifications, or undefined when every node has them. */
  problem?: string
}

/**
 * Runs `work` on a short-lived connection like `base` (its user, password and TLS), to the node
 * at "host:port" `address` or to `base`'s own, which gives up at once when it cannot connect;
 * closes it afterwards. Setting notifications is done apart from the connections that serve
 * the mount, and a subscriber may run nothing else.
 */
export async function onSetupConnection<T> (base: Redis, work: (node: Redis) => Promise<T>, address?: string): Promise<T> {
  const at = address?.lastIndexOf(':') ?? -1
  const place = address ? { host: address.slice(0, at), port: Number(address.slice(at + 1)) } : {}
  const node = base.duplicate({ ...place, connectionName: 'dnpipes-setup', lazyConnect: true, enableOfflineQueue: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
  node.on('error', () => undefined)
  try {
    return await work(node)
  } finally {
    node.disconnect()
  }
}

/** Each node's result or failure, by "host:port". */
type NodeResults<T> = Map<string, { value?: T, error?: Error }>

/**
 * Runs `work` on a setup connection to every node CLUSTER NODES lists, and collects each node's
 * result or failure by "host:port".
 */
async function onEveryNode<T> (cluster: Cluster, work: (node: Redis) => Promise<T>): Promise<NodeResults<T>> {
  const [any] = cluster.nodes('master')
  if (!any) throw new Error('no Cluster node is known yet')
  const addresses = clusterNodeAddresses(await any.cluster('NODES') as string)
  const results: NodeResults<T> = new Map()
  await Promise.all(addresses.map(async address => {
    try {
      results.set(address, { value: await onSetupConnection(any, work, address) })
    } catch (err) {
      results.set(address, { error: typedRedisError(err) as Error })
    }
  }))
  return results
}

/** "host:port: why" of every node whose work failed, in order. */
function failuresOf<T> (results: NodeResults<T>): string[] {
  return [...results].filter(([, result]) => result.error).map(([address, result]) => `${address}: ${result.error!.message}`).sort()
}

/**
 * Makes sure every node of the Cluster, replicas too (one may be promoted, and CONFIG is not
 * replicated), publishes the keyspace notifications followers need, adding the missing classes
 * to what is set. A node whose user may not run CONFIG, or that refuses it, is the problem.
 */
export async function prepareKeyspaceEvents (cluster: Cluster): Promise<KeyspaceEventsState> {
  let results: NodeResults<boolean>
  try {
    results = await onEveryNode(cluster, ensureEventFlags)
  } catch (err) {
    return { changed: [], problem: `cannot list the Cluster's nodes: ${(typedRedisError(err) as Error).message}` }
  }
  const changed = [...results].filter(([, result]) => result.value === true).map(([address]) => address).sort()
  const problems = failuresOf(results)
  if (problems.length === 0) return { changed }
  return { changed, problem: `cannot make sure notify-keyspace-events has K, g and t on every node (${problems.join('; ')})` }
}

/** For doctor, changing nothing: the nodes that lack what followers need, and those that cannot be asked. */
export async function inspectKeyspaceEvents (cluster: Cluster): Promise<{ lacking: string[], unknown: string[] }> {
  const results = await onEveryNode(cluster, async node => missingEventFlags(await eventFlagsOf(node)))
  return {
    lacking: [...results].filter(([, result]) => result.value).map(([address, result]) => `${address} (lacks ${result.value})`).sort(),
    unknown: failuresOf(results)
  }
}

/** What to tell a user who has to set it themselves. */
export const KEYSPACE_EVENTS_FIX = 'on every node of the Cluster, masters and replicas: redis-cli -h HOST -p PORT CONFIG SET notify-keyspace-events Kgt (keeping any classes already set), and notify-keyspace-events Kgt in their redis.conf'

/**
 * Whether every master the client knows publishes what followers need now (false when it cannot
 * be told), asked on the client's own connections: the CLI's quick look, which changes nothing.
 */
export async function keyspaceEventsReady (cluster: Cluster): Promise<boolean> {
  const nodes = cluster.nodes('master')
  if (nodes.length === 0) return false
  const settings = await Promise.all(nodes.map(node => eventFlagsOf(node).catch(() => undefined)))
  return settings.every(setting => setting !== undefined && missingEventFlags(setting) === '')
}
