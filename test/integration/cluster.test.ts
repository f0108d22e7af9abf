import { promises as fs } from 'node:fs'
import { spawn } from 'node:child_process'
import Redis from 'ioredis'
import t from 'tap'
import { keySlot } from '../../src/topics/redis/key-slot'
import { mount, MountedDir } from '../../scripts/support/mount'
import { CLI } from '../../scripts/support/mount'
import { run, sh, track } from '../../scripts/support/processes'
import { RedisCluster, startCluster } from '../../scripts/support/redis-cluster'
import { commandCalls, waitFor } from '../../scripts/support/redis-server'
import { numberedWriter } from '../helpers/writer'

// Mounts on a real 3-master Redis Cluster: the file operations, moves by copy, and following.

let cluster: RedisCluster
const mounts: MountedDir[] = []

t.before(async () => {
  cluster = await startCluster(3)
  mounts.push(await mount(undefined, { args: ['--cluster', cluster.seeds] }), await mount(undefined, { args: ['--cluster', cluster.seeds] }))
})
t.teardown(async () => {
  for (const m of mounts) await m.stop()
  await cluster.stop()
})

function follow (file: string) {
  const child = track(spawn('cat', [file], { stdio: ['ignore', 'pipe', 'ignore'] }))
  let out = ''
  child.stdout!.on('data', chunk => { out += chunk })
  const exited = new Promise(resolve => child.once('exit', code => resolve(code)))
  return { child, out: () => out, exited }
}

t.test('file operations across masters, seen from both mounts', async t => {
  const [a, b] = mounts as [MountedDir, MountedDir]
  await sh(`cd ${a.dir} && for i in 1 2 3 4 5 6; do echo m$i > t$i; done && mkdir -p d/e && echo deep > d/e/f`)
  const slots = new Set([1, 2, 3, 4, 5, 6].map(i => Math.floor(keySlot(`dnpipes:{t${i}}`) / 5462)))
  t.ok(slots.size > 1, 'the topics live on different masters')
  t.equal((await sh(`ls ${b.dir} && cat ${b.dir}/t4 ${b.dir}/d/e/f`)).stdout.toString(), 'd\nt1\nt2\nt3\nt4\nt5\nt6\nm4\ndeep\n')
  await sh(`echo more >> ${b.dir}/t4 && truncate -s 0 ${a.dir}/t5 && rm ${a.dir}/t6`)
  t.equal((await sh(`stat -c %s ${a.dir}/t4 ${a.dir}/t5; ls ${a.dir}`)).stdout.toString(), '8\n0\nd\nt1\nt2\nt3\nt4\nt5\n')
  const moved = await sh(`mv ${a.dir}/t1 ${a.dir}/renamed; echo $?; mv ${a.dir}/d ${a.dir}/d2; echo $?`)
  t.equal(moved.stdout.toString(), '0\n0\n', 'mv copies after EXDEV (keys of two paths are in different slots)')
  t.equal(moved.stderr, '')
  t.equal((await sh(`cat ${b.dir}/renamed ${b.dir}/d2/e/f; ls ${b.dir}`)).stdout.toString(), 'm1\ndeep\nd2\nrenamed\nt2\nt3\nt4\nt5\n')
})

t.test('following on a cluster: delivery across mounts, other clients\' entries, removal', async t => {
  const [a, b] = mounts as [MountedDir, MountedDir]
  await sh(`echo first > ${a.dir}/f1 && echo first > ${a.dir}/f2`)
  const replay = follow(`${b.dir}/.follow/f1`)
  const live = follow(`${b.dir}/.live/f2`)
  t.teardown(() => { replay.child.kill('SIGKILL'); live.child.kill('SIGKILL') })
  await waitFor(async () => replay.out() === 'first\n', 5000, 'the replay')
  await new Promise(resolve => setTimeout(resolve, 200))
  await sh(`echo second >> ${a.dir}/f1 && echo second >> ${a.dir}/f2`)
  await waitFor(async () => replay.out() === 'first\nsecond\n' && live.out() === 'second\n', 3000, 'delivery through the notifications')
  await cluster.client().xadd('dnpipes:{f1}', '*', 'data', 'from-a-service')
  await waitFor(async () => replay.out().endsWith('from-a-service\n'), 3000, 'an entry added by another client')
  await sh(`rm ${a.dir}/f1`)
  t.equal(await replay.exited, 0, 'removal ends the follower')
  const pulled = track(spawn(process.execPath, [CLI, 'pull', 'f2', '--follow', '--cluster', cluster.seeds], { stdio: ['ignore', 'pipe', 'ignore'] }))
  let out = ''
  pulled.stdout!.on('data', chunk => { out += chunk })
  await waitFor(async () => out === 'first\nsecond\n', 5000, 'pull --follow to replay')
  await run(process.execPath, [CLI, 'push', 'f2', 'third', '--cluster', cluster.seeds])
  await waitFor(async () => out === 'first\nsecond\nthird\n' && live.out() === 'second\nthird\n', 3000, 'pushes from the CLI to reach followers')
  pulled.kill('SIGINT')
  t.pass('delivered')
})

t.test('work queues on a cluster: each message to one reader across mounts; dead letters land in another slot', async t => {
  const [a, b] = mounts as [MountedDir, MountedDir]
  t.not(keySlot('dnpipes:{q}'), keySlot('dnpipes:{q.dead}'), 'the topic and its dead letters live in different slots')
  await sh(`seq 1 300 > ${a.dir}/q`)
  const readers = [a, b].map(m => track(spawn('bash', ['-c', `while read -r job; do echo "$job"; done < ${m.dir}/.group/w/q`], { stdio: ['ignore', 'pipe', 'ignore'] })))
  t.teardown(() => { for (const reader of readers) reader.kill('SIGKILL') })
  const outputs = readers.map(() => '')
  readers.forEach((reader, i) => reader.stdout!.on('data', chunk => { outputs[i] += chunk }))
  const got = (): number[] => outputs.flatMap(out => out.split('\n').filter(Boolean).map(Number))
  await waitFor(async () => got().length >= 300, 60_000, 'every job to be taken')
  t.same([...got()].sort((x, y) => x - y), Array.from({ length: 300 }, (_, i) => i + 1), 'each once')
  t.ok(outputs.every(out => out.length > 0), 'both mounts took some')
  for (const reader of readers) reader.kill('SIGKILL')
  // A service takes a message and never acknowledges it: with --max-deliveries 1 it is dead at its next claim.
  await sh(`echo poison >> ${a.dir}/q`)
  const client = cluster.client()
  await client.xreadgroup('GROUP', 'w', 'service', 'COUNT', 1, 'STREAMS', 'dnpipes:{q}', '>')
  const strict = await mount(undefined, { args: ['--cluster', cluster.seeds, '--visibility-timeout', '0.2', '--max-deliveries', '1'] })
  t.teardown(() => strict.stop())
  await new Promise(resolve => setTimeout(resolve, 300))
  await sh(`echo after >> ${a.dir}/q`)
  t.equal((await sh(`timeout 10 head -n 1 ${strict.dir}/.group/w/q`)).stdout.toString(), 'after\n')
  t.equal((await sh(`cat ${b.dir}/q.dead`)).stdout.toString(), 'poison\n')
})

t.test('the namespace commands on a Cluster: push makes directories; mv of a directory is refused before anything changed', async t => {
  const cli = (...args: string[]) => run(process.execPath, [CLI, ...args, '--cluster', cluster.seeds])
  t.equal((await cli('push', 'ns/a/t1', 'one')).code, 0)
  t.equal((await cli('push', 'ns/a/t2', 'two')).code, 0)
  const moved = await cli('mv', 'ns', 'elsewhere')
  t.equal(moved.code, 1)
  t.match(moved.stderr, /^dnpipes: cannot move ns: topics on a Redis Cluster are moved by copying; copy it instead/)
  t.equal((await sh(`cd ${mounts[0]!.dir} && find ns elsewhere 2>/dev/null | sort`)).stdout.toString(), 'ns\nns/a\nns/a/t1\nns/a/t2\n', 'nothing moved, no half-made target')
  t.equal((await cli('rm', '-r', 'ns')).code, 0)
  t.equal((await cli('ls')).stdout.toString().includes('ns/'), false)
})

t.test('the CLI asks the masters for notify-keyspace-events only for the commands that append or wait', async t => {
  const cli = (...args: string[]) => run(process.execPath, [CLI, ...args, '--cluster', cluster.seeds])
  const nodes = cluster.ports.map(port => new Redis({ host: '127.0.0.1', port }))
  t.teardown(() => { for (const node of nodes) node.disconnect() })
  const configReads = async (command: string[]): Promise<number> => {
    for (const node of nodes) await node.config('RESETSTAT')
    t.equal((await cli(...command)).code, 0, command.join(' '))
    let reads = 0
    for (const node of nodes) reads += (await commandCalls(node)).get('config|get') ?? 0
    return reads
  }
  t.equal(await configReads(['push', 'asked', 'one']), 3, 'push: one CONFIG GET at each master')
  for (const command of [['ls'], ['stat', 'asked'], ['pull', 'asked'], ['reset', 'asked']]) {
    t.equal(await configReads(command), 0, `${command[0]}: none`)
  }
})

t.test('retention on a Cluster: a limit set through one mount applies to appends through the other; df adds up the masters', async t => {
  const [a, b] = mounts as [MountedDir, MountedDir]
  await sh(`cd ${a.dir} && for i in 1 2 3 4 5 6; do seq 1 10 > r$i; setfattr -n user.dnpipes.retain-messages -v 3 r$i; done`)
  await sh(`cd ${b.dir} && for i in 1 2 3 4 5 6; do echo 11 >> r$i; done`)
  const slots = new Set([1, 2, 3, 4, 5, 6].map(i => Math.floor(keySlot(`dnpipes:{r${i}}`) / 5462)))
  t.ok(slots.size > 1, 'the topics live on different masters')
  t.equal((await sh(`cd ${a.dir} && cat r1 r4 r6; stat -c %s r1 r2 r3 r4 r5 r6 | sort -u`)).stdout.toString(), '9\n10\n11\n9\n10\n11\n9\n10\n11\n8\n')

  const masters = cluster.ports.map(port => new Redis({ host: '127.0.0.1', port }))
  t.teardown(() => { for (const master of masters) master.disconnect() })
  for (const [i, master] of masters.entries()) await master.config('SET', 'maxmemory', `${10 * (i + 1)}mb`)
  const size = await sh(`df -B1 --output=size ${a.dir} | tail -n 1`)
  t.equal(size.stdout.toString().trim(), String(60 * 1024 * 1024), 'the masters\' maxmemory added up: 10 + 20 + 30 MiB')
  for (const master of masters) await master.config('SET', 'maxmemory', '0')
})

t.test('a master failover on a 3+3 cluster: EIO during the window, then writes resume; nothing acknowledged is lost', async t => {
  const ha = await startCluster(3, 1)
  t.teardown(() => ha.stop())
  const mounted = await mount(undefined, { args: ['--cluster', ha.seeds, '--op-timeout', '1000', '--wait-replicas', '1'] })
  t.teardown(() => mounted.stop())
  await sh(`echo before > ${mounted.dir}/jobs`)
  const writing = numberedWriter(`${mounted.dir}/jobs`, { durationMs: 16000, pauseMs: 10 })
  // The writer's process must have opened the file and be writing when the master dies.
  await waitFor(async () => (await fs.stat(`${mounted.dir}/jobs`)).size > 200, 10_000, 'the writer to be writing')
  await ha.failOver('dnpipes:{jobs}')
  const { acknowledged, failed, last } = await writing
  t.ok(failed.length > 0 && failed.every(line => / EIO$/.test(line)), `${failed.length} writes failed during the failover, all with EIO`)
  t.match(last, /^ok \d+$/, 'writes work again by themselves, without a remount')
  const lines = new Set((await sh(`cat ${mounted.dir}/jobs`)).stdout.toString().split('\n'))
  t.same(acknowledged.filter(n => !lines.has(`line ${n}`)), [], `every one of ${acknowledged.length} acknowledged lines survived`)
  t.ok(lines.has('before'))
})
