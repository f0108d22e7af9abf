import { spawn } from 'node:child_process'
import { hostname } from 'node:os'
import type { Redis } from 'ioredis'
import t, { Test } from 'tap'
import { CLI, killMountAndServer } from '../../scripts/support/mount'
import { run, sh, track } from '../../scripts/support/processes'
import { RedisServer } from '../../scripts/support/redis-server'
import { mountFor, redisFor } from '../helpers/fixture'
import { groupReader, until, WHILE_READ } from '../helpers/group-readers'

// Consumers of ours that crashed mounts and workers leave in a group are removed by the group's
// other readers: idle past three visibility timeouts (1 s here) with nothing pending.

const KEY = 'dnpipes:{jobs}'
/** Sweeps are 3 s apart and remove consumers idle for 3 s: a dead one goes within about 7 s. */
const SWEPT_WITHIN_MS = 12_000

async function consumerNames (client: Redis, group: string): Promise<string[]> {
  const consumers = await client.xinfo('CONSUMERS', KEY, group) as unknown[][]
  return consumers.map(fields => String(fields[fields.indexOf('name') + 1]))
}

async function nothingPending (client: Redis, group: string): Promise<boolean> {
  return (await client.xpending(KEY, group) as [number])[0] === 0
}

t.test('a mount killed hard: its consumer is removed by a reader of the group on another mount; that one stays', async t => {
  const server = await redisFor(t)
  const client = server.client()
  const args = ['--visibility-timeout', '1']
  // mountFor's teardown unmounts what the killed daemon leaves behind.
  const a = await mountFor(t, server, { args })
  const b = await mountFor(t, server, { args })
  const mine = `mount@${hostname()}:${a.daemon.pid}`
  await sh(`echo job1 >> ${a.dir}/jobs`)
  // Reading on acknowledges job1; the file stays open, so A does not leave the group.
  const readerA = groupReader(`${a.dir}/.group/g/jobs`, WHILE_READ('a'))
  t.teardown(() => readerA.child.kill('SIGKILL'))
  await until('A to take job1 and acknowledge it', async () => readerA.output().includes('a job1') && await nothingPending(client, 'g'))
  t.same(await consumerNames(client, 'g'), [mine])
  await killMountAndServer(a.daemon.pid!)
  await a.exited
  const readerB = groupReader(`${b.dir}/.group/g/jobs`, WHILE_READ('b'))
  t.teardown(() => readerB.child.kill('SIGKILL'))
  // Redis makes a consumer at its first message: B's is listed once it has had one.
  await sh(`echo job2 >> ${b.dir}/jobs`)
  await until('B to take job2', () => readerB.output().includes('b job2'))
  const sweptFrom = Date.now()
  await until(`${mine} to be removed`, async () => !(await consumerNames(client, 'g')).includes(mine), SWEPT_WITHIN_MS)
  t.pass(`removed ${Date.now() - sweptFrom} ms after B began to wait`)
  t.same(await consumerNames(client, 'g'), [`mount@${hostname()}:${b.daemon.pid}`], 'B\'s own consumer stays')
  t.ok(await nothingPending(client, 'g'))
})

/** `dnpipes work g jobs --visibility-timeout 1 -- cat`, killed at the end of the test. */
function worker (t: Test, server: RedisServer) {
  const child = track(spawn(process.execPath, [CLI, 'work', 'g', 'jobs', '--visibility-timeout', '1', '--redis', server.url, '--', 'cat'], { stdio: ['ignore', 'pipe', 'pipe'] }))
  let output = ''
  child.stdout!.on('data', chunk => { output += chunk })
  child.stderr!.on('data', chunk => { output += chunk })
  const exited = new Promise(resolve => child.once('exit', resolve))
  t.teardown(() => { child.kill('SIGKILL') })
  return { child, exited, consumer: `work@${hostname()}:${child.pid}`, output: () => output }
}

t.test('a worker killed hard while idle: its consumer is removed by another worker of the group', async t => {
  const server = await redisFor(t)
  const client = server.client()
  const push = (message: string) => run(process.execPath, [CLI, 'push', 'jobs', message, '--redis', server.url])
  t.equal((await push('job1')).code, 0)
  const first = worker(t, server)
  await until('the first worker to run job1', () => first.output().includes('job1'))
  await until('job1 to be acknowledged', () => nothingPending(client, 'g'))
  t.same(await consumerNames(client, 'g'), [first.consumer])
  first.child.kill('SIGKILL')
  await first.exited
  const second = worker(t, server)
  t.equal((await push('job2')).code, 0)
  await until('the second worker to run job2', () => second.output().includes('job2'))
  const sweptFrom = Date.now()
  await until(`${first.consumer} to be removed`, async () => !(await consumerNames(client, 'g')).includes(first.consumer), SWEPT_WITHIN_MS)
  t.pass(`removed ${Date.now() - sweptFrom} ms after the second worker's job`)
  t.same(await consumerNames(client, 'g'), [second.consumer], 'the live worker\'s consumer stays')
})
