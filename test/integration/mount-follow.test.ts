import { ChildProcess, spawn } from 'node:child_process'
import t from 'tap'
import { mountFor, redisFor } from '../helpers/fixture'
import { run, sh, track } from '../../scripts/support/processes'
import { CLI } from '../../scripts/support/mount'
import { waitFor } from '../../scripts/support/redis-server'

// Following: .follow/ and .live/ views, tail -f, killed followers, unmount with followers.

interface Follower {
  child: ChildProcess
  output (): string
  exited: Promise<number | string>
}

/** A reader in a child process, with the default SIGINT disposition (as at a terminal). */
function follow (file: string, command = 'cat'): Follower {
  const child = track(spawn('env', ['--default-signal=INT', ...command.split(' '), file], { stdio: ['ignore', 'pipe', 'pipe'] }))
  let output = ''
  child.stdout!.on('data', chunk => { output += chunk })
  const exited = new Promise<number | string>(resolve => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  return { child, output: () => output, exited }
}

async function until (what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  await waitFor(async () => check(), timeoutMs, what)
}

t.test('.follow replays then delivers new messages from another mount; .live only new ones', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server)
  const b = await mountFor(t, server)
  await sh(`mkdir -p ${b.dir}/team/a && echo job1 > ${b.dir}/team/a/jobs`)
  const replaying = follow(`${a.dir}/.follow/team/a/jobs`)
  const live = follow(`${a.dir}/.live/team/a/jobs`)
  t.teardown(() => { replaying.child.kill('SIGKILL'); live.child.kill('SIGKILL') })
  await until('the replay', () => replaying.output() === 'job1\n')
  await new Promise(resolve => setTimeout(resolve, 200))
  await sh(`echo job2 >> ${b.dir}/team/a/jobs; echo job3 >> ${b.dir}/team/a/jobs`)
  await until('delivery to .follow', () => replaying.output() === 'job1\njob2\njob3\n')
  await until('delivery to .live', () => live.output() === 'job2\njob3\n')
  t.pass('both views delivered')
  t.equal(replaying.child.exitCode, null, 'the follower is still waiting')
})

t.test('a long replay through .follow is exact and fast-paged; a reset during it goes on with the new messages', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server)
  const produce = "seq 1 400000 | sed 's/^/old /'"
  await sh(`${produce} > ${dir}/long`)
  const expected = (await sh(produce)).stdout.toString()
  const before = Number(/cmdstat_exec:calls=(\d+)/.exec(await server.client().info('commandstats'))?.[1] ?? 0)
  // A reader that stops after 1 MB until told to go on, so that the reset lands mid-replay, then
  // reads until the last line pushed after the reset.
  const reader = track(spawn(process.execPath, ['-e', `
    const fs = require('fs')
    const fd = fs.openSync(process.argv[1], 'r')
    const buffer = Buffer.alloc(65536)
    const chunks = []
    let total = 0
    const readOnce = () => { const n = fs.readSync(fd, buffer, 0, buffer.length); chunks.push(Buffer.from(buffer.subarray(0, n))); total += n; return n }
    while (total < 1000000) readOnce()
    process.stderr.write('paused')
    process.stdin.once('data', () => {
      while (!Buffer.concat(chunks.slice(-2)).toString().endsWith('more 20\\n')) if (readOnce() === 0) break
      process.stdout.write(Buffer.concat(chunks), () => process.exit(0))
    })`, `${dir}/.follow/long`], { stdio: ['pipe', 'pipe', 'pipe'] }))
  t.teardown(() => { reader.kill('SIGKILL') })
  let paused = ''
  reader.stderr!.on('data', chunk => { paused += chunk })
  const output: Buffer[] = []
  reader.stdout!.on('data', chunk => output.push(chunk))
  const exited = new Promise(resolve => reader.once('exit', resolve))
  await until('the reader to pause', () => paused.includes('paused'), 10_000)
  await sh(`truncate -s 0 ${dir}/long && seq 1 20 | sed 's/^/new /' >> ${dir}/long`)
  reader.stdin!.write('go\n')
  await new Promise(resolve => setTimeout(resolve, 300))
  await sh(`seq 1 20 | sed 's/^/more /' >> ${dir}/long`)
  await exited
  const got = Buffer.concat(output).toString()
  const cut = got.indexOf("new 1\n")
  t.ok(cut >= 1_000_000 && cut < expected.length, `the replay delivered ${cut} of ${expected.length} bytes of the old messages before the reset`)
  t.equal(got.slice(0, cut), expected.slice(0, cut), 'exactly the old bytes, in order, up to a message boundary')
  const news = Array.from({ length: 20 }, (_, i) => `new ${i + 1}\n`).join('')
  const more = Array.from({ length: 20 }, (_, i) => `more ${i + 1}\n`).join('')
  t.equal(got.slice(cut), news + more, 'then every message pushed since the reset, once')
  const pages = Number(/cmdstat_exec:calls=(\d+)/.exec(await server.client().info('commandstats'))?.[1] ?? 0) - before
  t.ok(pages > 0, `${pages} pages of the replay came through the page connection`)
})

t.test('the views are listed, mirror directories, and are read-only', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server)
  const run = (script: string) => sh(script, { cwd: dir })
  await run('mkdir -p team/a && touch team/a/orders top')
  t.equal((await run('ls -a')).stdout.toString(), '.\n..\n.delay\n.follow\n.group\n.live\nteam\ntop\n')
  t.equal((await run('ls')).stdout.toString(), 'team\ntop\n', 'hidden from a plain ls')
  t.equal((await run('ls -a .follow/team/a .live')).stdout.toString(), '.follow/team/a:\n.\n..\n\n.live:\n.\n..\n',
    'a view lists no children, so recursive tools never descend into blocking files')
  t.equal((await run('find . | sort')).stdout.toString(), '.\n./.delay\n./.follow\n./.group\n./.live\n./team\n./team/a\n./team/a/orders\n./top\n')
  t.equal((await run('grep -r nothing .; echo $?')).stdout.toString(), '1\n', 'grep -r finishes')
  t.equal((await run('stat -c %F:%s .follow/team/a/orders')).stdout.toString(), 'regular empty file:0\n', 'every topic path resolves in a view')
  for (const change of ['echo x >> .follow/top', 'touch .follow/new', 'mkdir .live/d', 'rm .follow/top', 'truncate -s 0 .live/top']) {
    t.match((await run(change)).stderr, /Read-only file system|Permission denied/, change)
  }
  t.match((await run('cat .follow/missing')).stderr, /No such file/)
  t.match((await run('touch .follow')).stderr, /Read-only file system/)
  t.match((await run('mkdir .live')).stderr, /File exists/)
})

t.test('tail -f on the plain file follows, since sizes are never stale', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server)
  const b = await mountFor(t, server)
  await sh(`echo one > ${a.dir}/log`)
  const tail = follow(`${a.dir}/log`, 'tail -s 0.1 -f')
  t.teardown(() => tail.child.kill('SIGKILL'))
  await until('tail to print the first line', () => tail.output() === 'one\n')
  await sh(`echo two >> ${b.dir}/log`)
  await until('tail -f to show the new line', () => tail.output() === 'one\ntwo\n')
  t.pass('tail -f followed')
})

t.test('a reset while following: the follower goes on with later messages; a removal ends it', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server)
  await sh(`echo before > ${dir}/r`)
  const follower = follow(`${dir}/.follow/r`)
  t.teardown(() => follower.child.kill('SIGKILL'))
  await until('the replay', () => follower.output() === 'before\n')
  await sh(`truncate -s 0 ${dir}/r && echo after-reset >> ${dir}/r`)
  await until('the message after the reset', () => follower.output() === 'before\nafter-reset\n')
  const started = Date.now()
  await sh(`rm ${dir}/r`)
  t.equal(await follower.exited, 0, 'removal is end of file')
  t.ok(Date.now() - started < 3000, `ended ${Date.now() - started} ms after the removal`)
})

t.test('a blocked follower killed by SIGINT, SIGTERM or SIGKILL is gone within 1 s', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server)
  await sh(`echo x > ${dir}/k`)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGKILL'] as const) {
    const follower = follow(`${dir}/.follow/k`)
    await until('the replay', () => follower.output() === 'x\n')
    await new Promise(resolve => setTimeout(resolve, 100))
    const started = Date.now()
    follower.child.kill(signal)
    t.equal(await follower.exited, signal, `${signal} ended it`)
    t.ok(Date.now() - started < 1000, `${signal}: gone after ${Date.now() - started} ms`)
  }
  t.equal((await sh(`cat ${dir}/k`)).stdout.toString(), 'x\n', 'the mount still works')
})

t.test('a killed follower does not cut off another follower of the same file', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server)
  await sh(`echo x > ${dir}/shared`)
  const survivor = follow(`${dir}/.follow/shared`)
  const victim = follow(`${dir}/.live/shared`)
  t.teardown(() => survivor.child.kill('SIGKILL'))
  await until('the replay', () => survivor.output() === 'x\n')
  await new Promise(resolve => setTimeout(resolve, 100))
  victim.child.kill('SIGKILL')
  t.equal(await victim.exited, 'SIGKILL')
  await sh(`echo y >> ${dir}/shared`)
  await until('the survivor to go on', () => survivor.output() === 'x\ny\n')
  t.equal(survivor.child.exitCode, null)
})

t.test('unmount with blocked followers completes within 2 s and they see end of file', async t => {
  const server = await redisFor(t)
  for (const how of ['dnpipes unmount', 'SIGTERM']) {
    const mounted = await mountFor(t, server)
    const topic = how === 'SIGTERM' ? 'by-signal' : 'by-command'
    await sh(`echo m > ${mounted.dir}/${topic}`)
    const followers = [follow(`${mounted.dir}/.follow/${topic}`), follow(`${mounted.dir}/.live/${topic}`), follow(`${mounted.dir}/.follow/${topic}`)]
    await until('the replays', () => followers[0]!.output() === 'm\n' && followers[2]!.output() === 'm\n')
    await new Promise(resolve => setTimeout(resolve, 100))
    const started = Date.now()
    if (how === 'SIGTERM') mounted.daemon.kill('SIGTERM')
    else t.equal((await run(process.execPath, [CLI, 'unmount', mounted.dir])).code, 0)
    t.equal(await mounted.exited, 0, `${how}: the daemon exits cleanly`)
    t.same(await Promise.all(followers.map(f => f.exited)), [0, 0, 0], `${how}: followers end with end of file`)
    t.ok(Date.now() - started < 2000, `${how}: done in ${Date.now() - started} ms`)
  }
})

t.test('200 followers over 100 topics: one blocking Redis connection for all, and the mount stays responsive', async t => {
  const server = await redisFor(t)
  const redis = server.client()
  const { dir } = await mountFor(t, server)
  await sh(`cd ${dir} && for i in $(seq 1 100); do echo start > t$i; done`)
  const followers: Follower[] = []
  t.teardown(() => { for (const f of followers) f.child.kill('SIGKILL') })
  for (let i = 0; i < 200; i++) followers.push(follow(`${dir}/.follow/t${1 + (i % 100)}`))
  await until('200 replays', () => followers.every(f => f.output() === 'start\n'), 20_000)
  await new Promise(resolve => setTimeout(resolve, 300))
  const clients = (await redis.client('LIST') as string).split('\n').filter(line => / name=dnpipes-/.test(line))
  const names = clients.map(line => / name=(\S+)/.exec(line)![1]).sort()
  t.same(names, ['dnpipes-follow', 'dnpipes-mount', 'dnpipes-mount-dirs', 'dnpipes-mount-stats', 'dnpipes-mount-stats-invalidations'],
    'one command connection and one blocking connection for all 200 followers (and the directory watch\'s subscriber, the tracked stats connection and its subscriber)')
  for (let i = 0; i < 5; i++) {
    const started = process.hrtime.bigint()
    const result = await sh(`cat ${dir}/t7 && ls ${dir} > /dev/null`)
    const ms = Number(process.hrtime.bigint() - started) / 1e6
    t.equal(result.stdout.toString(), 'start\n')
    t.ok(ms < 250, `cat and ls answered in ${ms.toFixed(1)} ms (including two process starts)`)
  }
  await sh(`cd ${dir} && for i in $(seq 1 100); do echo next >> t$i; done`)
  await until('delivery to all 200', () => followers.every(f => f.output() === 'start\nnext\n'), 20_000)
  t.pass('every follower got the new message')
})
