import { ChildProcess, spawn } from 'node:child_process'
import Redis, { Cluster } from 'ioredis'
import tmp from 'tmp'
import { run, track } from './processes'
import { freePort, waitFor } from './redis-server'
import { keySlot } from '../../src/topics/redis/key-slot'

export interface RedisCluster {
  ports: number[]
  /** "127.0.0.1:P1,127.0.0.1:P2,…" */
  seeds: string
  client (): Cluster
  /** The port of the master that owns `key`'s slot now, as a fresh client learns it. */
  ownerOf (key: string): Promise<number>
  /** The ports of the nodes that say they are masters now (other nodes' views may lag behind a failover). */
  masters (): Promise<number[]>
  /** Kills one node with SIGKILL. */
  kill (port: number): Promise<void>
  /** Starts a killed node again: it rejoins the cluster (as a replica, after a failover). */
  restart (port: number): Promise<void>
  /**
   * Kills the master that owns `key`'s slot and waits until its replica took over; only then
   * does the old master come back (empty, no persistence), as the new one's replica. Restarted
   * before the promotion, it would come back as an empty master and take the data with it.
   */
  failOver (key: string): Promise<void>
  /**
   * Moves the slot of `key`, and its keys, to the master on `toPort`, as `redis-cli --cluster
   * reshard` does one slot: IMPORTING and MIGRATING, MIGRATE of its keys, then its new owner
   * told to every master. Resolves with the port that owned it.
   */
  moveSlot (key: string, toPort: number): Promise<number>
  stop (): Promise<void>
}

/** A real Redis Cluster of `masters` masters, each with `replicas` replicas, on free loopback ports. */
export async function startCluster (masters = 3, replicas = 0): Promise<RedisCluster> {
  const dir = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-cluster-' })
  const ports = await freePorts(masters * (1 + replicas))
  const startNode = nodeStarter(dir.name)
  const children: ChildProcess[] = ports.map(startNode)
  await createCluster(ports, replicas)
  if (replicas > 0) await replicasLinked(ports, masters * replicas)
  return clusterOf(ports, children, startNode, () => dir.removeCallback())
}

/** `count` different free ports. */
async function freePorts (count: number): Promise<number[]> {
  const ports: number[] = []
  while (ports.length < count) {
    const port = await freePort() // at most 55535: the bus listens on port + 10000
    if (!ports.includes(port)) ports.push(port)
  }
  return ports
}

/** Starts the cluster node on a port, its files in `dir`. */
function nodeStarter (dir: string): (port: number) => ChildProcess {
  return port => track(spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
    '--cluster-config-file', `${dir}/nodes-${port}.conf`, '--dir', dir, '--dbfilename', `dump-${port}.rdb`,
    '--appendonly', 'no', '--save', '', '--cluster-node-timeout', '2000', '--repl-diskless-sync-delay', '0'
  ], { stdio: 'ignore' }))
}

/** Waits until the node on `port` answers PING. */
async function answering (port: number, what: string): Promise<void> {
  await waitFor(async () => (await run('redis-cli', ['-p', String(port), 'ping'])).stdout.toString().trim() === 'PONG', 5000, what)
}

/** Joins the nodes on `ports` into one cluster, as redis-cli --cluster create does, and waits until every node says it is whole. */
async function createCluster (ports: number[], replicas: number): Promise<void> {
  for (const port of ports) await answering(port, `cluster node ${port}`)
  const created = await run('redis-cli', ['--cluster', 'create', ...ports.map(port => `127.0.0.1:${port}`), '--cluster-replicas', String(replicas), '--cluster-yes'])
  if (created.code !== 0) throw new Error(`redis-cli --cluster create: ${created.stdout.toString()}${created.stderr}`)
  for (const port of ports) {
    await waitFor(async () => /cluster_state:ok/.test((await run('redis-cli', ['-p', String(port), 'cluster', 'info'])).stdout.toString()), 10_000, 'cluster_state:ok')
  }
}

/** Waits until `count` replicas are linked to their masters, so that a failover has someone to promote. */
async function replicasLinked (ports: number[], count: number): Promise<void> {
  await waitFor(async () => {
    const states = await Promise.all(ports.map(async port => (await run('redis-cli', ['-p', String(port), 'info', 'replication'])).stdout.toString()))
    return states.filter(info => /role:slave/.test(info) && /master_link_status:up/.test(info)).length === count
  }, 15_000, 'the replicas to sync')
}

/** What the node on `port` says it is: "master", "slave", or "" when it does not answer. */
async function roleOf (port: number): Promise<string> {
  return (await run('redis-cli', ['-p', String(port), 'role'])).stdout.toString().split('\n')[0]!
}

/** The running cluster of the nodes on `ports` (`children`, in the same order); `removeFiles` when it stops. */
function clusterOf (ports: number[], children: ChildProcess[], startNode: (port: number) => ChildProcess, removeFiles: () => void): RedisCluster {
  const clients: Cluster[] = []
  const cluster: RedisCluster = {
    ports,
    seeds: ports.map(port => `127.0.0.1:${port}`).join(','),
    client () {
      const client = new Redis.Cluster(ports.map(port => ({ host: '127.0.0.1', port })))
      client.on('error', () => undefined)
      clients.push(client)
      return client
    },
    async kill (port: number) {
      const child = children[ports.indexOf(port)]
      if (!child || child.exitCode !== null || child.signalCode !== null) return
      await new Promise<void>(resolve => { child.once('exit', () => resolve()); child.kill('SIGKILL') })
    },
    async restart (port: number) {
      children[ports.indexOf(port)] = startNode(port)
      await answering(port, `node ${port} to restart`)
    },
    async ownerOf (key: string) {
      const client = cluster.client()
      await client.ping()
      return Number(client.slots[keySlot(key)]![0]!.split(':')[1])
    },
    async masters () {
      const roles = await Promise.all(ports.map(roleOf))
      return ports.filter((_, i) => roles[i] === 'master')
    },
    failOver: key => failOver(cluster, key),
    moveSlot: (key, toPort) => moveSlot(cluster, key, toPort),
    async stop () {
      for (const client of clients.splice(0)) client.disconnect()
      await Promise.all(children.map(child => child.exitCode !== null || child.signalCode !== null
        ? undefined
        : new Promise<void>(resolve => { child.once('exit', () => resolve()); child.kill('SIGTERM') })))
      removeFiles()
    }
  }
  return cluster
}

/** RedisCluster.failOver: kills the owner of `key`'s slot once its replica has everything, and brings it back as that replica's replica. */
async function failOver (cluster: RedisCluster, key: string): Promise<void> {
  const owner = await cluster.ownerOf(key)
  const replica = await replicaOf(owner)
  await caughtUp(owner, replica)
  await cluster.kill(owner)
  // cluster-node-timeout 2000: the promotion comes after about 3 s, later on a loaded machine.
  await waitFor(async () => await roleOf(replica) === 'master', 20_000, 'the replica to be promoted')
  await new Promise(resolve => setTimeout(resolve, 500))
  await cluster.restart(owner)
  // Whole again once the old master, told of the failover, follows the promoted one: until
  // then it still calls itself a master in other nodes' views (and refuses what only masters take).
  await waitFor(async () => await roleOf(owner) === 'slave', 20_000, 'the old master to rejoin as a replica')
}

/** The port of a replica of the master on `owner`, once its view of the cluster lists one. */
async function replicaOf (owner: number): Promise<number> {
  // The owner's view of the cluster lists its replica once gossip has told it, which may
  // come after the cluster says it is whole.
  let replica = 0
  await waitFor(async () => {
    const nodes = (await run('redis-cli', ['-p', String(owner), 'cluster', 'nodes'])).stdout.toString().split('\n')
    const ownerId = nodes.find(line => line.includes(`:${owner}@`))?.split(' ')[0]
    const line = nodes.find(line => ownerId !== undefined && line.includes(` ${ownerId} `) && / slave /.test(line))
    replica = Number(/:(\d+)@/.exec(line ?? '')?.[1] ?? 0)
    return replica > 0
  }, 10_000, `a replica of ${owner} in its view of the cluster`)
  return replica
}

/** Waits until the replica on `replica` has everything the master on `owner` has now. */
async function caughtUp (owner: number, replica: number): Promise<void> {
  // Replication is asynchronous: killed before its replica has what it acknowledged, the
  // master takes it along (on a loaded machine, the test's topic itself). The replica's
  // offset, which it acknowledges every second, must reach the master's as it is now (writers
  // may go on meanwhile: what they add later is theirs to make sure of, with WAIT).
  const replication = async (): Promise<string> => (await run('redis-cli', ['-p', String(owner), 'info', 'replication'])).stdout.toString()
  const written = Number(/master_repl_offset:(\d+)/.exec(await replication())?.[1] ?? 0)
  await waitFor(async () => {
    const copied = new RegExp(`slave\\d+:ip=[^,]+,port=${replica},state=online,offset=(\\d+)`).exec(await replication())?.[1]
    return copied !== undefined && Number(copied) >= written
  }, 10_000, `the replica ${replica} to have everything ${owner} had`)
}

/** redis-cli -p `port` `args`: its output, or an error when it fails or answers ERR. */
async function cli (port: number, ...args: string[]): Promise<string> {
  const result = await run('redis-cli', ['-p', String(port), ...args])
  const out = result.stdout.toString().trim()
  if (result.code !== 0 || out.startsWith('ERR')) throw new Error(`redis-cli -p ${port} ${args.join(' ')}: ${out}${result.stderr}`)
  return out
}

/** RedisCluster.moveSlot. */
async function moveSlot (cluster: RedisCluster, key: string, toPort: number): Promise<number> {
  const slot = String(keySlot(key))
  const nodes = (await cli(toPort, 'cluster', 'nodes')).split('\n').map(line => line.split(' '))
  const idOf = (port: number): string => nodes.find(fields => fields[1]!.startsWith(`127.0.0.1:${port}@`))![0]!
  const masters = await cluster.masters()
  const fromPort = masters.find(port => port !== toPort && nodes.some(fields => fields[1]!.startsWith(`127.0.0.1:${port}@`) &&
    fields.slice(8).some(range => { const [lo, hi] = range.split('-').map(Number); return Number(slot) >= lo! && Number(slot) <= (hi ?? lo)! })))
  if (fromPort === undefined) throw new Error(`slot ${slot} is not on another master`)
  await cli(toPort, 'cluster', 'setslot', slot, 'importing', idOf(fromPort))
  await cli(fromPort, 'cluster', 'setslot', slot, 'migrating', idOf(toPort))
  for (;;) {
    const keys = (await cli(fromPort, 'cluster', 'getkeysinslot', slot, '100')).split('\n').filter(Boolean)
    if (keys.length === 0) break
    await cli(fromPort, 'migrate', '127.0.0.1', String(toPort), '', '0', '5000', 'keys', ...keys)
  }
  for (const port of masters) await cli(port, 'cluster', 'setslot', slot, 'node', idOf(toPort))
  return fromPort
}
