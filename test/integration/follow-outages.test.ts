import { ChildProcess, spawn } from 'node:child_process'
import t, { Test } from 'tap'
import { mountFor, redisFor } from '../helpers/fixture'
import { run, sh, track } from '../../scripts/support/processes'
import { CLI } from '../../scripts/support/mount'
import { RedisServer, startRedis, waitFor } from '../../scripts/support/redis-server'
import { numberedWriter, WriterReport } from '../helpers/writer'

// Followers survive Redis going away while messages flow: killed and restarted, frozen, or
// restarted empty. Everything else keeps failing fast (faults.test.ts).

interface Follower {
  name: string
  child: ChildProcess
  output (): string
}

function start (name: string, command: string, args: string[]): Follower {
  const child = track(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }))
  let output = ''
  child.stdout!.on('data', chunk => { output += chunk })
  return { name, child, output: () => output }
}

/** A follower of every kind, on `dir` (a mount) or through the CLI on `server`. */
function followersOf (t: Test, dir: string, server: RedisServer, topic: string): Follower[] {
  const followers = [
    start('.follow/', 'cat', [`${dir}/.follow/${topic}`]),
    start('.live/', 'cat', [`${dir}/.live/${topic}`]),
    start('pull --follow', process.execPath, [CLI, 'pull', topic, '--follow', '--redis', server.url]),
    start('pull --live', process.execPath, [CLI, 'pull', topic, '--live', '--redis', server.url])
  ]
  t.teardown(() => { for (const follower of followers) follower.child.kill('SIGKILL') })
  return followers
}

const pause = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/**
 * Every acknowledged line of every writer exactly once, in each writer's order, nothing torn;
 * lines whose write failed may be there (Redis may have applied them) but also only once.
 */
function checkDelivery (t: Test, follower: Follower, writers: Map<string, WriterReport>, before: string[]): void {
  const lines = follower.output().split('\n').filter(line => !line.startsWith('marker '))
  t.equal(lines.pop(), '', `${follower.name}: ends with a whole line`)
  const history = lines.slice(0, before.length)
  t.same(history, before, `${follower.name}: the history first`)
  const byWriter = new Map<string, number[]>()
  let torn = 0
  for (const line of lines.slice(before.length)) {
    const match = /^(w\d) (\d+)$/.exec(line)
    if (!match) { torn++; continue }
    byWriter.set(match[1]!, [...(byWriter.get(match[1]!) ?? []), Number(match[2])])
  }
  t.equal(torn, 0, `${follower.name}: no torn or foreign line`)
  for (const [writer, report] of writers) {
    const got = byWriter.get(writer) ?? []
    const missing = report.acknowledged.filter(n => !got.includes(n))
    t.same(missing, [], `${follower.name}: every one of ${writer}'s ${report.acknowledged.length} acknowledged lines`)
    t.ok(got.every((n, i) => i === 0 || n > got[i - 1]!), `${follower.name}: ${writer}'s lines once each, in order`)
  }
}

t.test('followers of every kind go on through kills, restarts and a freeze of Redis while four writers push', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server, { args: ['--op-timeout', '1000'] })
  const b = await mountFor(t, server, { args: ['--op-timeout', '1000'] })
  await sh(`echo history 1 > ${a.dir}/load && echo history 2 >> ${a.dir}/load`)
  const followers = followersOf(t, b.dir, server, 'load')
  await waitFor(async () => followers.every(f => f.name.endsWith('--follow') || f.name === '.follow/' ? f.output() === 'history 1\nhistory 2\n' : true), 5000, 'the replays')
  // The .live followers deliver what is pushed after their open: push markers until they do.
  for (let marker = 0; !followers.every(f => f.output().includes('marker')); marker++) {
    await sh(`echo marker ${marker} >> ${a.dir}/load`)
    await pause(100)
  }
  const writing = ['w1', 'w2', 'w3', 'w4'].map((prefix, i) =>
    numberedWriter(`${(i % 2 === 0 ? a : b).dir}/load`, { durationMs: 12_000, pauseMs: 3, prefix }).then(report => [prefix, report] as const))
  const pid = Number((await run('pgrep', ['-f', `redis-server .*:${server.port}`])).stdout.toString().trim().split('\n')[0])
  await waitFor(async () => {
    const pushed = (await sh(`cat ${a.dir}/load`)).stdout.toString()
    return ['w1', 'w2', 'w3', 'w4'].every(prefix => pushed.includes(`\n${prefix} 10\n`))
  }, 10_000, 'every writer to be pushing')
  for (let cycle = 0; cycle < 2; cycle++) {
    await server.stop('SIGKILL')
    await pause(1500)
    await server.start()
    await pause(1000)
  }
  const frozen = Number((await run('pgrep', ['-f', `redis-server .*:${server.port}`])).stdout.toString().trim().split('\n')[0])
  t.not(frozen, pid, 'a new server process after the restarts')
  process.kill(frozen, 'SIGSTOP')
  t.teardown(() => { try { process.kill(frozen, 'SIGCONT') } catch {} })
  await pause(2000)
  process.kill(frozen, 'SIGCONT')
  const writers = new Map(await Promise.all(writing))
  const failed = [...writers.values()].reduce((sum, report) => sum + report.failed.length, 0)
  t.ok(failed > 0, `${failed} writes failed during the outages (the writers were not spared)`)
  t.ok([...writers.values()].every(report => /^ok \d+$/.test(report.last)), 'every writer works again at its end')
  const acknowledged = (follower: Follower): boolean => [...writers].every(([prefix, report]) =>
    report.acknowledged.every(n => follower.output().includes(`\n${prefix} ${n}\n`)))
  await waitFor(async () => followers.every(acknowledged), 15_000, 'every follower to catch up')
  for (const follower of followers) {
    t.equal(follower.child.exitCode, null, `${follower.name}: still running`)
    checkDelivery(t, follower, writers, follower.name.includes('live') ? [] : ['history 1', 'history 2'])
  }
})

t.test('Redis restarted empty: a follower goes on with the topic of that name, as after a reset', async t => {
  const server = await startRedis({ persistence: false })
  t.teardown(() => server.stop())
  const a = await mountFor(t, server, { args: ['--op-timeout', '1000'] })
  const b = await mountFor(t, server, { args: ['--op-timeout', '1000'] })
  await sh(`echo a > ${a.dir}/t && echo b >> ${a.dir}/t`)
  const follower = start('.follow/', 'cat', [`${b.dir}/.follow/t`])
  const pulled = start('pull --follow', process.execPath, [CLI, 'pull', 't', '--follow', '--redis', server.url])
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
