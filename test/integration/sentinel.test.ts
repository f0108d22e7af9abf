import { promises as fs } from 'node:fs'
import t from 'tap'
import { mountFor } from '../helpers/fixture'
import { sh } from '../../scripts/support/processes'
import { waitFor } from '../../scripts/support/redis-server'
import { numberedWriter } from '../helpers/writer'
import { startSentinelSetup } from '../helpers/sentinel'

// Sentinel: the mount follows a failover by itself, and with --wait-replicas set to the number
// of replicas loses nothing acknowledged. Writes need a replica again to be acknowledged: the
// old master, restarted, comes back as one (Sentinel reconfigures it). Sentinel looks at a
// replica's role every 10 s, so that takes up to about 15 s after the kill: the writer goes on
// past its 15 s until a write is acknowledged again, for at most 30 s more.

t.test('a master failover: EIO during the window, then writes resume; nothing acknowledged is lost', async t => {
  const setup = await startSentinelSetup()
  t.teardown(() => setup.stop())
  const { dir } = await mountFor(t, undefined, {
    args: ['--sentinels', setup.sentinels, '--sentinel-name', setup.name, '--op-timeout', '1000', '--wait-replicas', '1']
  })
  t.equal((await sh(`echo before >> ${dir}/jobs && cat ${dir}/jobs`)).stdout.toString(), 'before\n')
  const writing = numberedWriter(`${dir}/jobs`, { durationMs: 15000, untilRecoveredMs: 30_000, pauseMs: 10 })
  // The writer's process must have opened the file and be writing when the master dies.
  await waitFor(async () => (await fs.stat(`${dir}/jobs`)).size > 200, 10_000, 'the writer to be writing')
  const killedAt = Date.now()
  await setup.master.stop('SIGKILL')
  await waitFor(async () => (await setup.currentMasterPort()) === setup.replica.port, 15_000, 'the Sentinel to promote the replica')
  await setup.master.start()
  const { acknowledged, failed, last } = await writing
  t.ok(failed.every(line => / EIO$/.test(line)), `${failed.length} writes failed during the failover, all with EIO`)
  t.match(last, /^ok \d+$/, 'writes work again without a remount')
  const firstFailure = Number(failed[0]?.split(' ')[1] ?? Infinity)
  t.ok(failed.length === 0 || acknowledged.some(n => n > firstFailure), 'they resumed by themselves')
  const lines = (await sh(`cat ${dir}/jobs`)).stdout.toString().split('\n').filter(Boolean)
  const seen = new Set(lines)
  const lost = acknowledged.filter(n => !seen.has(`line ${n}`))
  t.same(lost, [], `every one of ${acknowledged.length} acknowledged lines is on the new master`)
  t.equal(new Set(lines).size, lines.length, 'none twice')
  t.ok(Date.now() - killedAt < 50_000, 'within the writer\'s time')
})
