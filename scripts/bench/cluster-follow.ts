import { ChildProcess, spawn } from 'node:child_process'
import Redis, { Cluster } from 'ioredis'
import { mount, MountedDir } from '../support/mount'
import { track } from '../support/processes'
import { startCluster } from '../support/redis-cluster'
import { commandCalls } from '../support/redis-server'
import { sleep } from '../../src/util/deadline'
import { Bench } from './context'
import { deliveryTimes } from './delivery'
import { percentile } from './stats'
import { must } from './steps'

/** Followers C1 keeps idle; its figure is per 100 of them. */
const IDLE_FOLLOWERS = 200
/** Past the followers' first wait and the subscriptions' first sweep, before C1 counts. */
const SETTLE_MS = 2000

/** `cat` of each of `files`, resolved once each printed `expect`. */
async function followers (files: string[], expect: string): Promise<ChildProcess[]> {
  const children = files.map(file => track(spawn('cat', [file], { stdio: ['ignore', 'pipe', 'ignore'] })))
  await Promise.all(children.map(child => new Promise<void>(resolve => {
    let out = ''
    child.stdout!.on('data', chunk => { out += chunk; if (out.includes(expect)) resolve() })
  })))
  return children
}

/** Commands every node served in `ms`, CONFIG and INFO (the counting itself) left out. */
async function commandsDuring (nodes: Redis[], ms: number): Promise<number> {
  for (const node of nodes) await node.config('RESETSTAT')
  await sleep(ms)
  let calls = 0
  for (const node of nodes) for (const count of (await commandCalls(node)).values()) calls += count
  return calls
}

/** C1 on one mount: idle followers' commands per second across the cluster, per 100 followers. */
async function idleCost (mounted: MountedDir, nodes: Redis[], label: string, idleMs: number): Promise<number> {
  await must(`cd ${mounted.dir} && for i in $(seq 1 ${IDLE_FOLLOWERS}); do echo first > ${label}$i; done`)
  const idle = await followers(Array.from({ length: IDLE_FOLLOWERS }, (_, i) => `${mounted.dir}/.follow/${label}${i + 1}`), 'first\n')
  try {
    await sleep(SETTLE_MS)
    return await commandsDuring(nodes, idleMs) / (idleMs / 1000) / (IDLE_FOLLOWERS / 100)
  } finally {
    for (const child of idle) child.kill('SIGKILL')
  }
}

/** Milliseconds from another client's XADD of `key` to its arrival at a follower of `file`, per sample. */
async function foreignDelivery (client: Redis | Cluster, key: string, file: string, samples: number): Promise<number[]> {
  const [reader] = await followers([file], 'first\n')
  return await deliveryTimes(reader!, samples, line => client.xadd(key, '*', 'data', line.slice(0, -1)))
}

/**
 * C1 and C2: following on a 3-master Redis Cluster. C1, idle followers' commands per second per
 * 100 of them, with keyspace notifications and with the announce-and-poll way a mount falls back
 * to when it may not turn them on. C2, another client's XADD to a waiting follower, against the
 * same on standalone Redis (the run's own server), in the same run.
 */
export async function clusterFollow ({ sizes, redis, a, table }: Bench): Promise<void> {
  const cluster = await startCluster(3)
  const nodes = cluster.ports.map(port => new Redis({ host: '127.0.0.1', port }))
  const mounts: MountedDir[] = []
  try {
    for (const node of nodes) await node.call('ACL', 'SETUSER', 'noconfig', 'on', '>pw', '~*', '&*', '+@all', '-config')
    const notified = await mount(undefined, { args: ['--cluster', cluster.seeds] })
    mounts.push(notified)
    const polling = await mount(undefined, { args: ['--cluster', cluster.seeds, '--redis', 'redis://noconfig:pw@127.0.0.1'] })
    mounts.push(polling)
    if (!/warning: cannot make sure notify-keyspace-events/.test(polling.output())) throw new Error(`the mount without CONFIG did not fall back: ${polling.output()}`)
    const idle = await idleCost(notified, nodes, 'c1n', sizes.idleMs)
    const idlePolling = await idleCost(polling, nodes, 'c1p', sizes.idleMs)
    table.record({
      id: 'C1',
      workload: `${IDLE_FOLLOWERS} idle \`.follow/\` readers on one mount, 3-master Cluster: commands/s across it per 100 (target <= 10)`,
      unit: 'cmd/s',
      fs: idle,
      baselines: [{ name: 'the same, announce-and-poll (a mount that may not CONFIG SET)', value: idlePolling }, { name: 'target', value: 10 }],
      higherIsBetter: false
    })

    const samples = sizes.latencySamples
    await must(`echo first > ${notified.dir}/c2 && echo first > ${a.dir}/c2`)
    const client = cluster.client()
    const onCluster = await foreignDelivery(client, 'dnpipes:{c2}', `${notified.dir}/.follow/c2`, samples)
    const standalone = await foreignDelivery(redis, 'dnpipes:{c2}', `${a.dir}/.follow/c2`, samples)
    for (const [p, name, target] of [[0.5, 'p50', 5], [0.99, 'p99', 20]] as const) {
      table.record({
        id: 'C2',
        workload: `another client's XADD to a waiting \`.follow/\` reader on a Cluster, ${name} (target <= ${target} ms)`,
        unit: 'ms',
        fs: percentile(onCluster, p),
        baselines: [{ name: 'the same on standalone Redis', value: percentile(standalone, p) }],
        higherIsBetter: false
      })
    }
  } finally {
    for (const mounted of mounts) await mounted.stop()
    for (const node of nodes) node.disconnect()
    await cluster.stop()
  }
}
