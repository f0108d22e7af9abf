import Redis from 'ioredis'
import t, { Test } from 'tap'
import { CLI, mount, MountedDir } from '../../scripts/support/mount'
import { run, sh } from '../../scripts/support/processes'
import { commandCalls, waitFor } from '../../scripts/support/redis-server'
import { RedisCluster, startCluster } from '../../scripts/support/redis-cluster'
import { sleep } from '../../src/util/deadline'
import { startFollower } from '../helpers/follow-check'

// Following on a real Redis Cluster through keyspace notifications: what idle followers cost
// the cluster, entries other clients add, which nodes hear of an append, the setting the mount
// turns on (and what it says when it may not), and followers through a failover and a resharding.

/**
 * Each test's own limit, below the file's: a hang ends the test it happens in, by name, and the
 * other tests still report.
 */
const TEST_TIMEOUT_MS = 90_000

/** `cat FILE` in the background, its output collected. */
function follow (file: string): { out: () => string, stop: () => void } {
  const follower = startFollower(file, 'cat', [file])
  return { out: follower.output, stop: () => follower.child.kill('SIGKILL') }
}

/** A plain connection to each node of `cluster`, closed when the test ends. */
function nodesOf (t: Test, cluster: RedisCluster): Redis[] {
  const nodes = cluster.ports.map(port => new Redis({ host: '127.0.0.1', port }))
  t.teardown(() => { for (const node of nodes) node.disconnect() })
  return nodes
}


t.test('200 idle followers cost the cluster next to nothing; other clients\' entries wake them; an append notifies only its own node', { timeout: TEST_TIMEOUT_MS }, async t => {
  const cluster = await startCluster(3)
  t.teardown(() => cluster.stop())
  const nodes = nodesOf(t, cluster)
  for (const node of nodes) await node.config('SET', 'notify-keyspace-events', '')
  const mounted = await mount(undefined, { args: ['--cluster', cluster.seeds] })
  t.teardown(() => mounted.stop())
  t.notMatch(mounted.output(), /warning/)
  for (const node of nodes) t.equal((await node.config('GET', 'notify-keyspace-events'))[1], 'gtK', 'the mount turned on what followers need')
  const doctor = await run(process.execPath, [CLI, 'doctor', '--cluster', cluster.seeds])
  t.match(doctor.stdout.toString(), /^ok +notifications +notify-keyspace-events has K, g and t on every node: followers wait on keyspace notifications$/m)

  await sh(`cd ${mounted.dir} && for i in $(seq 1 200); do echo first > t$i; done`)
  const followers = Array.from({ length: 200 }, (_, i) => follow(`${mounted.dir}/.follow/t${i + 1}`))
  t.teardown(() => { for (const follower of followers) follower.stop() })
  await waitFor(async () => followers.every(follower => follower.out() === 'first\n'), 20_000, 'every follower to replay')
  await sleep(1500) // past the first sweep and its subscriptions
  for (const node of nodes) await node.config('RESETSTAT')
  const idleMs = 5000
  await sleep(idleMs)
  let idle = 0
  const seen: string[] = []
  for (const node of nodes) {
    for (const [command, calls] of await commandCalls(node)) {
      idle += calls
      seen.push(`${command}=${calls}`)
    }
  }
  t.ok(idle <= 20 * idleMs / 1000, `${idle} commands in ${idleMs} ms across the cluster for 200 idle followers (${seen.join(' ') || 'none'})`)

  const client = cluster.client()
  for (const i of [3, 77, 150]) await client.xadd(`dnpipes:{t${i}}`, '*', 'data', `from-a-service-${i}`)
  await waitFor(async () => [3, 77, 150].every(i => followers[i - 1]!.out() === `first\nfrom-a-service-${i}\n`), 3000, 'entries other clients added')
  await sh(`echo through-the-mount >> ${mounted.dir}/t5`)
  await waitFor(async () => followers[4]!.out() === 'first\nthrough-the-mount\n', 3000, 'an append through the mount')
  for (const node of nodes) t.notOk((await commandCalls(node)).has('publish'), 'no PUBLISH, which would reach every node')
  t.equal(followers.filter((follower, i) => ![2, 4, 76, 149].includes(i) && follower.out() !== 'first\n').length, 0, 'nobody else woke with data')
})

t.test('one follower subscribes only at its topic\'s master; a group reader is woken the same way; it survives a lost connection; a removal elsewhere ends followers', { timeout: TEST_TIMEOUT_MS }, async t => {
  const cluster = await startCluster(3)
  t.teardown(() => cluster.stop())
  const nodes = nodesOf(t, cluster)
  const mounted = await mount(undefined, { args: ['--cluster', cluster.seeds] })
  t.teardown(() => mounted.stop())
  await sh(`echo one > ${mounted.dir}/only`)
  const follower = follow(`${mounted.dir}/.follow/only`)
  t.teardown(() => follower.stop())
  await waitFor(async () => follower.out() === 'one\n', 5000, 'the replay')
  const owner = await cluster.ownerOf('dnpipes:{only}')
  await waitFor(async () => {
    const lists = await Promise.all(nodes.map(async node => (await node.client('LIST') as string)))
    return lists.every((list, i) => list.includes('name=dnpipes-keyspace') === (cluster.ports[i] === owner))
  }, 3000, 'a subscriber connection at the topic\'s master and nowhere else')
  t.pass(`subscribed at ${owner} only`)
  // A work-queue reader waits on the same notifications: without them it would look again only
  // after the visibility timeout (30 s).
  await sh(`touch ${mounted.dir}/jobs`)
  const worker = follow(`${mounted.dir}/.group/workers/jobs`)
  t.teardown(() => worker.stop())
  await sleep(500)
  await cluster.client().xadd('dnpipes:{jobs}', '*', 'data', 'job-from-a-service')
  await waitFor(async () => worker.out() === 'job-from-a-service\n', 3000, 'the group reader to get another client\'s entry')

  // The subscriber connection lost, and the node's setting with it (as after a restart): it
  // comes back, subscribes again, and the setting is made sure of again.
  const ownerNode = nodes[cluster.ports.indexOf(owner)]!
  await ownerNode.config('SET', 'notify-keyspace-events', '')
  await ownerNode.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
  await waitFor(async () => /name=dnpipes-keyspace/.test(await ownerNode.client('LIST') as string) &&
    (await ownerNode.config('GET', 'notify-keyspace-events'))[1] === 'gtK', 5000, 'the subscriber to come back and the setting with it')
  await sleep(300)
  await cluster.client().xadd('dnpipes:{only}', '*', 'data', 'after-reconnect')
  await waitFor(async () => follower.out() === 'one\nafter-reconnect\n', 3000, 'a notification on the new connection')

  // A removal by another mount ends the follower, also of a topic that never had an entry (it
  // has no stream key: its metadata's deletion is the event).
  const other = await mount(undefined, { args: ['--cluster', cluster.seeds] })
  t.teardown(() => other.stop())
  await sh(`touch ${mounted.dir}/empty`)
  const emptyFollower = follow(`${mounted.dir}/.follow/empty`)
  t.teardown(() => emptyFollower.stop())
  await sleep(500)
  await sh(`rm ${other.dir}/only ${other.dir}/empty`)
  await waitFor(async () => (await sh(`pgrep -f "cat ${mounted.dir}/.follow/(only|empty)"`)).code !== 0, 3000, 'both followers to end')
})

t.test('a mount whose user may not CONFIG SET says what to set, and its followers still get other clients\' entries', { timeout: TEST_TIMEOUT_MS }, async t => {
  const cluster = await startCluster(3)
  t.teardown(() => cluster.stop())
  const nodes = nodesOf(t, cluster)
  for (const node of nodes) {
    await node.config('SET', 'notify-keyspace-events', '')
    await node.call('ACL', 'SETUSER', 'app', 'on', '>pw', '~*', '&*', '+@all', '-config')
  }
  const mounted = await mount(undefined, { args: ['--cluster', cluster.seeds, '--redis', 'redis://app:pw@127.0.0.1'] })
  t.teardown(() => mounted.stop())
  t.match(mounted.output(), /dnpipes: warning: cannot make sure notify-keyspace-events has K, g and t on every node \(.*NOPERM.*\)\. Followers on this mount find entries other clients add by polling .* Fix: on every node of the Cluster, masters and replicas: redis-cli -h HOST -p PORT CONFIG SET notify-keyspace-events Kgt/)
  const doctor = await run(process.execPath, [CLI, 'doctor', '--cluster', cluster.seeds, '--redis', 'redis://app:pw@127.0.0.1'])
  t.equal(doctor.code, 0, 'a warning does not fail doctor')
  t.match(doctor.stdout.toString(), /^warn +notifications +cannot read notify-keyspace-events \(.*NOPERM.*\): unless it has K, g and t on every node, followers poll$/m)
  t.match(doctor.stdout.toString(), /fix: on every node of the Cluster, masters and replicas: redis-cli/)
  await sh(`echo first > ${mounted.dir}/polled`)
  const follower = follow(`${mounted.dir}/.follow/polled`)
  t.teardown(() => follower.stop())
  await waitFor(async () => follower.out() === 'first\n', 5000, 'the replay')
  await cluster.client().xadd('dnpipes:{polled}', '*', 'data', 'found-by-polling')
  await waitFor(async () => follower.out() === 'first\nfound-by-polling\n', 3000, 'the polled entry')
})

t.test('followers keep following through a master failover and a resharding of their slot', { timeout: TEST_TIMEOUT_MS }, async t => {
  const cluster = await startCluster(3, 1)
  t.teardown(() => cluster.stop())
  const mounts: MountedDir[] = [await mount(undefined, { args: ['--cluster', cluster.seeds] })]
  t.teardown(async () => { for (const m of mounts) await m.stop() })
  const dir = mounts[0]!.dir
  await sh(`echo start > ${dir}/failing && echo start > ${dir}/moving`)
  const failing = follow(`${dir}/.follow/failing`)
  const moving = follow(`${dir}/.follow/moving`)
  t.teardown(() => { failing.stop(); moving.stop() })
  await waitFor(async () => failing.out() === 'start\n' && moving.out() === 'start\n', 5000, 'the replays')
  const client = cluster.client()

  // After each move, an entry added on the new master must arrive by notification: the hub
  // polls nothing, so the follower gets it only if its subscription followed the slot.
  const subscribedAt = async (port: number): Promise<boolean> => /name=dnpipes-keyspace/.test((await sh(`redis-cli -p ${port} client list`)).stdout.toString())

  await cluster.failOver('dnpipes:{failing}')
  const promoted = await cluster.ownerOf('dnpipes:{failing}')
  await waitFor(async () => {
    await client.xadd('dnpipes:{failing}', '*', 'data', 'after-failover').catch(() => undefined)
    return failing.out().includes('after-failover\n')
  }, 20_000, 'an entry added on the promoted master to reach the follower')
  await waitFor(() => subscribedAt(promoted), 15_000, 'a subscription at the promoted master')
  const before = failing.out()
  await client.xadd('dnpipes:{failing}', '*', 'data', 'notified')
  await waitFor(async () => failing.out() === before + 'notified\n', 3000, 'the promoted master\'s notification')
  t.match(failing.out(), /^start\n(after-failover\n)+notified\n$/, 'nothing else, nothing lost')

  const owner = await cluster.ownerOf('dnpipes:{moving}')
  const target = (await cluster.masters()).find(port => port !== owner)!
  await cluster.moveSlot('dnpipes:{moving}', target)
  await client.xadd('dnpipes:{moving}', '*', 'data', 'after-resharding')
  await waitFor(async () => moving.out() === 'start\nafter-resharding\n', 15_000, 'an entry added at the slot\'s new master to reach the follower')
  await waitFor(() => subscribedAt(target), 15_000, 'a subscription at the slot\'s new master')
  await client.xadd('dnpipes:{moving}', '*', 'data', 'notified')
  await waitFor(async () => moving.out() === 'start\nafter-resharding\nnotified\n', 3000, 'the new master\'s notification')
  await sh(`echo through-the-mount >> ${dir}/moving`)
  await waitFor(async () => moving.out() === 'start\nafter-resharding\nnotified\nthrough-the-mount\n', 10_000, 'an append through the mount after the move')
})
