import t from 'tap'
import { mountFor, redisFor } from '../helpers/fixture'
import { checkFollowers, followersOf, startFollower, startWriters, untilListening, untilWriting } from '../helpers/follow-check'
import { CLI } from '../../scripts/support/mount'
import { run, sh } from '../../scripts/support/processes'
import { startRedis, waitFor } from '../../scripts/support/redis-server'

// Followers survive Redis going away while messages flow: killed and restarted, frozen, or
// restarted empty. Everything else keeps failing fast (faults.test.ts).

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
  const writing = startWriters([`${a.dir}/load`, `${b.dir}/load`], 4, 12_000)
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
  const writers = await writing
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

t.test('while Redis is down, Ctrl-C ends a follower at once, and an unmount gives the others end of file', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server, { args: ['--op-timeout', '1000'] })
  await sh(`echo one > ${a.dir}/t`)
  const interrupted = startFollower('.follow/', 'env', ['--default-signal=INT', 'cat', `${a.dir}/.follow/t`])
  const waiting = startFollower('.live/', 'cat', [`${a.dir}/.live/t`])
  t.teardown(() => { interrupted.child.kill('SIGKILL'); waiting.child.kill('SIGKILL') })
  await waitFor(async () => interrupted.output() === 'one\n', 5000, 'the replay')
  await server.stop('SIGKILL')
  await pause(1500) // the followers are waiting out the outage now
  t.equal(interrupted.child.exitCode, null, 'still waiting, no error')
  const exited = new Promise(resolve => interrupted.child.once('exit', (code, signal) => resolve(signal ?? code)))
  const started = Date.now()
  interrupted.child.kill('SIGINT')
  t.equal(await exited, 'SIGINT')
  t.ok(Date.now() - started < 2000, `Ctrl-C ended it in ${Date.now() - started} ms`)
  const ended = new Promise(resolve => waiting.child.once('exit', code => resolve(code)))
  const unmounting = Date.now()
  await a.stop()
  t.equal(await ended, 0, 'end of file at the unmount')
  t.ok(Date.now() - unmounting < 5000, `the unmount took ${Date.now() - unmounting} ms`)
  await server.start()
})
