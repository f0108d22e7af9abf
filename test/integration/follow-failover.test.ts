import t from 'tap'
import { keySlot } from '../../src/topics/key-slot'
import { mountFor } from '../helpers/fixture'
import { checkFollowers, followersOf, startWriters, untilListening, untilWriting } from '../helpers/follow-check'
import { startCluster } from '../helpers/redis-cluster'
import { startSentinelSetup } from '../helpers/sentinel'
import { run, sh } from '../../scripts/support/processes'
import { waitFor } from '../../scripts/support/redis-server'

// Followers survive a master failover while messages flow, through Sentinel and on a Cluster.
// Writes wait for a replica (--wait-replicas 1), so every acknowledged line is on the new master.

t.test('a Sentinel failover under four writers: every follower goes on, missing nothing acknowledged', async t => {
  const setup = await startSentinelSetup()
  t.teardown(() => setup.stop())
  const target = ['--sentinels', setup.sentinels, '--sentinel-name', setup.name]
  const args = [...target, '--op-timeout', '1000', '--wait-replicas', '1']
  const a = await mountFor(t, undefined, { args })
  const b = await mountFor(t, undefined, { args })
  await sh(`echo history 1 > ${a.dir}/load`)
  const followers = followersOf(t, b.dir, target, 'load')
  await untilListening(followers, `${a.dir}/load`)
  const writing = startWriters([`${a.dir}/load`, `${b.dir}/load`], 4, 20_000)
  await untilWriting(`${a.dir}/load`, 4)
  await setup.master.stop('SIGKILL')
  await waitFor(async () => (await setup.currentMasterPort()) === setup.replica.port, 15_000, 'the Sentinel to promote the replica')
  await setup.master.start()
  const writers = await writing
  t.ok([...writers.values()].every(report => /^ok \d+$/.test(report.last)), 'every writer works again at its end')
  await checkFollowers(t, followers, writers, ['history 1'])
})

t.test('a Cluster master failover under four writers: every follower goes on, missing nothing acknowledged', async t => {
  const ha = await startCluster(3, 1)
  t.teardown(() => ha.stop())
  const target = ['--cluster', ha.seeds]
  const args = [...target, '--op-timeout', '1000', '--wait-replicas', '1']
  const a = await mountFor(t, undefined, { args })
  const b = await mountFor(t, undefined, { args })
  await sh(`echo history 1 > ${a.dir}/load`)
  const followers = followersOf(t, b.dir, target, 'load')
  await untilListening(followers, `${a.dir}/load`)
  const client = ha.client()
  await client.ping()
  const owner = Number(client.slots[keySlot('dnpipes:{load}')]![0]!.split(':')[1])
  const writing = startWriters([`${a.dir}/load`, `${b.dir}/load`], 4, 16_000)
  await untilWriting(`${a.dir}/load`, 4)
  const nodes = (await run('redis-cli', ['-p', String(owner), 'cluster', 'nodes'])).stdout.toString().split('\n')
  const ownerId = nodes.find(line => line.includes(`:${owner}@`))!.split(' ')[0]!
  const replica = Number(/:(\d+)@/.exec(nodes.find(line => line.includes(` ${ownerId} `) && / slave /.test(line))!)![1])
  await ha.kill(owner)
  // As in cluster.test.ts: the old master comes back (empty, as a replica) only after the promotion.
  await waitFor(async () => /role:master/.test((await run('redis-cli', ['-p', String(replica), 'info', 'replication'])).stdout.toString()), 20_000, 'the replica to be promoted')
  await new Promise(resolve => setTimeout(resolve, 500))
  await ha.restart(owner)
  const writers = await writing
  t.ok([...writers.values()].every(report => /^ok \d+$/.test(report.last)), 'every writer works again at its end')
  await checkFollowers(t, followers, writers, ['history 1'])
})
