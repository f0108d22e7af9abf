import t from 'tap'
import { mountFor } from '../helpers/fixture'
import { run, sh } from '../helpers/processes'
import { waitFor } from '../helpers/redis-server'
import { startSentinelSetup } from '../helpers/sentinel'

// Sentinel: the mount follows a failover by itself, and with --wait-replicas set to the number
// of replicas loses nothing acknowledged. Writes need a replica again to be acknowledged: the
// old master, restarted, comes back as one (Sentinel reconfigures it).

t.test('a master failover: EIO during the window, then writes resume; nothing acknowledged is lost', async t => {
  const setup = await startSentinelSetup()
  t.teardown(() => setup.stop())
  const { dir } = await mountFor(t, undefined, {
    args: ['--sentinels', setup.sentinels, '--sentinel-name', setup.name, '--op-timeout', '1000', '--wait-replicas', '1']
  })
  t.equal((await sh(`echo before >> ${dir}/jobs && cat ${dir}/jobs`)).stdout.toString(), 'before\n')
  const program = `
    const fs = require('fs')
    const fd = fs.openSync(process.env.FILE, 'a')
    const until = Date.now() + 15000
    let i = 0
    const next = () => {
      if (Date.now() > until) return
      const n = i++
      try { fs.writeSync(fd, 'line ' + n + '\\n'); console.log('ok ' + n) } catch (e) { console.log('err ' + n + ' ' + e.code) }
      setTimeout(next, 10)
    }
    next()`
  const writing = run(process.execPath, ['-e', program], { env: { ...process.env, FILE: `${dir}/jobs` } })
  await new Promise(resolve => setTimeout(resolve, 800))
  const killedAt = Date.now()
  await setup.master.stop('SIGKILL')
  await waitFor(async () => (await setup.currentMasterPort()) === setup.replica.port, 15_000, 'the Sentinel to promote the replica')
  await setup.master.start()
  const report = (await writing).stdout.toString().trim().split('\n')
  const acknowledged = report.filter(line => line.startsWith('ok ')).map(line => Number(line.slice(3)))
  const failed = report.filter(line => line.startsWith('err '))
  t.ok(failed.every(line => / EIO$/.test(line)), `${failed.length} writes failed during the failover, all with EIO`)
  t.match(report[report.length - 1], /^ok \d+$/, 'writes work again without a remount')
  const firstOkAfter = report.findIndex((line, i) => i > 0 && line.startsWith('ok ') && report[i - 1]!.startsWith('err '))
  t.ok(failed.length === 0 || firstOkAfter > 0, 'they resumed by themselves')
  const lines = (await sh(`cat ${dir}/jobs`)).stdout.toString().split('\n').filter(Boolean)
  const seen = new Set(lines)
  const lost = acknowledged.filter(n => !seen.has(`line ${n}`))
  t.same(lost, [], `every one of ${acknowledged.length} acknowledged lines is on the new master`)
  t.equal(new Set(lines).size, lines.length, 'none twice')
  t.ok(Date.now() - killedAt < 20_000)
})
