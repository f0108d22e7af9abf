import t from 'tap'
import { mountFor, redisFor } from '../helpers/fixture'
import { checkFollowers, followersOf, startFollower, startWriters, untilListening, untilWriting } from '../helpers/follow-check'
import { CLI } from '../../scripts/support/mount'
import { run, sh } from '../../scripts/support/processes'
import { startRedis, waitFor } from '../../scripts/support/redis-server'

// Followers survive Redis going away while messages flow: killed and restarted, frozen, or
// restarted empty. Everything else keeps failing fast (faults.test.ts); Ctrl-C and unmounts
// during an outage are in follow-outage-signals.test.ts, which runs beside this file.

// The two outages take about 20 s on an idle machine: the bound is for a test that hangs.
t.setTimeout(90_000)

const pause = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

async function serverPid (port: number): Promise<number> {
  return Number((await run('pgrep', ['-f', `redis-server .*:${port}`])).stdout.toString().trim().split('\n')[0])
}

t.test('followers of every kind go on through kills, restarts and a freeze of Redis while four writers push', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server, { args: ['--op-timeout', '1000'] })
  const b = await mountFor(t, server, { args: ['--op-timeout', '1000'] })
  await sh(`echo history 1 > ${a.dir}/load && echo history 2 >> ${a.dir}/load`)
  const followers = followersOf(t, b.dir, ['--redis', server.url], 'load')
  await untilListening(followers, `${a.dir}/load`)
  const writing = startWriters([`${a.dir}/load`, `${b.dir}/load`], 4)
  await untilWriting(`${a.dir}/load`, 4)
  const first = await serverPid(server.port)
  for (let cycle = 0; cycle < 2; cycle++) {
    await server.stop('SIGKILL')
    await pause(1500)
    await server.start()
    await pause(1000)
  }
  const frozen = await serverPid(server.port)
  t.not(frozen, first, 'a new server process after the restarts')
  process.kill(frozen, 'SIGSTOP')
  t.teardown(() => { try { process.kill(frozen, 'SIGCONT') } catch {} })
  await pause(2000)
  process.kill(frozen, 'SIGCONT')
  const writers = await writing.finish()
  const failed = [...writers.values()].reduce((sum, report) => sum + report.failed.length, 0)
  t.ok(failed > 0, `${failed} writes failed during the outages (the writers were not spared)`)
  t.ok([...writers.values()].every(report => /^ok \d+$/.test(report.last)), 'every writer works again at its end')
  await checkFollowers(t, followers, writers, ['history 1', 'history 2'])
})

t.test('Redis restarted empty: a follower goes on with the topic of that name, as after a reset', async t => {
  const server = await startRedis({ persistence: false })
  t.teardown(() => server.stop())
  const a = await mountFor(t, server, { args: ['--op-timeout', '1000'] })
  const b = await mountFor(t, server, { args: ['--op-timeout', '1000'] })
  await sh(`echo a > ${a.dir}/t && echo b >> ${a.dir}/t`)
  const follower = startFollower('.follow/', 'cat', [`${b.dir}/.follow/t`])
  const pulled = startFollower('pull --follow', process.execPath, [CLI, 'pull', 't', '--follow', '--redis', server.url])
  t.teardown(() => { follower.child.kill('SIGKILL'); pulled.child.kill('SIGKILL') })
  await waitFor(async () => follower.output() === 'a\nb\n' && pulled.output() === 'a\nb\n', 5000, 'the replays')
  await server.stop('SIGKILL')
  await pause(500)
  await server.start()
  t.equal((await sh(`ls ${a.dir}`)).stdout.toString(), '', 'Redis has nothing')
  await pause(700)
  await sh(`echo c >> ${a.dir}/t && echo d >> ${a.dir}/t`)
  await waitFor(async () => follower.output() === 'a\nb\nc\nd\n' && pulled.output() === 'a\nb\nc\nd\n', 5000, 'the new topic\'s messages')
  t.equal(follower.child.exitCode, null, 'still following')
  await sh(`rm ${a.dir}/t`)
  await waitFor(async () => follower.child.exitCode !== null, 5000, 'a removal to end it')
  t.equal(follower.child.exitCode, 0, 'a removal still ends it')
})
