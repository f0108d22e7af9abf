import { spawn } from 'node:child_process'
import { promises as fs } from 'node:fs'
import t, { Test } from 'tap'
import { mountFor, redisFor } from '../helpers/fixture'
import { groupReader, until, WHILE_READ } from '../helpers/group-readers'
import { numberedWriter } from '../helpers/writer'
import { killServer, serverPid } from '../../scripts/support/mount'
import { bash, sh, track } from '../../scripts/support/processes'
import { startRedis, waitFor } from '../../scripts/support/redis-server'

// The server of a mount killed or replaced under its users (src/restart/): the mount stays, and
// the next server goes on with the nodes, open files and requests of the one before.

/** A `cat` of `file` in a child process, its output gathered. */
function reader (t: Test, file: string): { output (): string, exited: Promise<number | null> } {
  const child = track(spawn('cat', [file], { stdio: ['ignore', 'pipe', 'pipe'] }))
  t.teardown(() => { child.kill() })
  let output = ''
  child.stdout!.on('data', chunk => { output += chunk })
  child.stderr!.on('data', chunk => { output += `stderr: ${chunk}` })
  return { output: () => output, exited: new Promise(resolve => child.once('exit', code => resolve(code))) }
}

/**
 * `bash -c script` in `dir`, its stdout and stderr gathered; it reads a line from stdin when the
 * test says go (the script waits with `read -r _`).
 */
function script (t: Test, dir: string, text: string): { output (): string, go (): void, pid: number, exited: Promise<unknown>, exitCode (): number | null } {
  const child = track(spawn('bash', ['-c', text], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] }))
  t.teardown(() => { child.kill() })
  let output = ''
  child.stdout!.on('data', chunk => { output += chunk })
  child.stderr!.on('data', chunk => { output += chunk })
  const exited = new Promise(resolve => child.once('exit', resolve))
  return { output: () => output, go: () => child.stdin!.end('go\n'), pid: child.pid!, exited, exitCode: () => child.exitCode }
}

t.test('a server killed three times under four writers, a follower and a group reader: no error, nothing lost, torn or doubled', async t => {
  const server = await redisFor(t)
  const mounted = await mountFor(t, server, { args: ['--visibility-timeout', '2'] })
  await sh(`echo start > ${mounted.dir}/k`)
  const follower = reader(t, `${mounted.dir}/.follow/k`)
  const group = groupReader(`${mounted.dir}/.group/g/k`, WHILE_READ('g'))
  t.teardown(() => { group.child.kill('SIGKILL') })
  const writers = [0, 1, 2, 3].map(w => numberedWriter(`${mounted.dir}/k`, { durationMs: 4000, pauseMs: 2, prefix: `w${w}` }))
  for (let kill = 0; kill < 3; kill++) {
    await new Promise(resolve => setTimeout(resolve, 1000))
    await killServer(mounted.daemon.pid!)
  }
  const reports = await Promise.all(writers)
  t.same(reports.map(report => report.failed), [[], [], [], []], 'no write failed')

  const lines = (await sh(`cat ${mounted.dir}/k`)).stdout.toString().split('\n')
  t.equal(lines.pop(), '')
  t.equal(lines[0], 'start')
  t.ok(lines.slice(1).every(line => /^w\d \d+$/.test(line)), 'no torn line')
  reports.forEach((report, w) => {
    const numbers = lines.filter(line => line.startsWith(`w${w} `)).map(line => Number(line.slice(3)))
    t.same(numbers, report.acknowledged, `writer ${w}: its ${report.acknowledged.length} acknowledged lines, once each and in order, and nothing else`)
  })
  const content = lines.map(line => line + '\n').join('')
  await until('the follower to have every line', () => follower.output().length >= content.length)
  t.equal(follower.output(), content, 'the follower read the topic as it is, once')
  await until('the group reader to have every line', () => lines.every(line => group.output().includes(`g ${line}\n`)), 20_000)
  const delivered = group.output().split('\n').filter(line => line !== '')
  const twice = delivered.filter((line, i) => delivered.indexOf(line) !== i)
  t.ok(twice.length <= 6, `delivered twice: ${twice.join(', ') || 'none'} (at most two per kill: what the reader had in hand, not acknowledged)`)
  t.equal((mounted.output().match(/serving \S+ again/g) ?? []).length, 3, 'three servers took over')
})

t.test('open files stay open: a replay goes on at its offset, a partial line is pushed once, a directory lists', async t => {
  const server = await redisFor(t)
  const mounted = await mountFor(t, server)
  const expected = Array.from({ length: 2000 }, (_, i) => `line ${i}\n`).join('')
  await sh(`seq -f 'line %g' 0 1999 > ${mounted.dir}/big && mkdir ${mounted.dir}/d && touch ${mounted.dir}/d/a ${mounted.dir}/d/b`)
  const user = script(t, mounted.dir, `
    exec 3< big 4>> part
    head -c 5000 <&3 > first
    printf 'par' >&4
    echo ready; read -r _
    cat <&3 > rest
    printf 'tial\\n' >&4
    exec 4>&-
    cat first rest | md5sum; cat part`)
  await until('the script to read and write', () => user.output().includes('ready'))
  await killServer(mounted.daemon.pid!)
  user.go()
  await user.exited
  const md5 = (await bash(`printf '%s' "${expected}" | md5sum`)).stdout.toString()
  t.equal(user.output(), `ready\n${md5}partial\n`, 'the replay read on where it was; the partial line was held and pushed once')
  t.equal((await sh(`ls ${mounted.dir}/d`)).stdout.toString(), 'a\nb\n')
})

t.test('a follower whose server died as it read the replay\'s last byte goes on after it, not from the first message again', async t => {
  const server = await redisFor(t)
  const mounted = await mountFor(t, server)
  await sh(`echo start > ${mounted.dir}/k`)
  // The replay's end is known (and recorded for the next server) only by the read after it.
  const follower = script(t, mounted.dir, 'exec 3< .follow/k; head -c 6 <&3; echo ready; read -r _; head -n 1 <&3')
  await until('the replay to be read', () => follower.output() === 'start\nready\n')
  await killServer(mounted.daemon.pid!)
  follower.go()
  // The next message only once the follower waits in read(2) of its stdin on the new server.
  await waitFor(async () => {
    if (follower.exitCode() !== null) return true
    const reader = (await sh(`pgrep -P ${follower.pid} head`)).stdout.toString().trim()
    return reader !== '' && /^0 0x0 /.test(await fs.readFile(`/proc/${reader}/syscall`, 'utf8').catch(() => ''))
  }, 10_000, 'the follower to wait for the next message')
  await sh(`echo next >> ${mounted.dir}/k`)
  await follower.exited
  t.equal(follower.output(), 'start\nready\nnext\n', 'the message after the replay, not the replay again')
})

t.test('a write applied by a server that died before answering is asked for again, and not applied twice', async t => {
  const master = await redisFor(t)
  const replica = await startRedis({ persistence: false, args: ['--replicaof', '127.0.0.1', String(master.port), '--enable-debug-command', 'yes'] })
  t.teardown(() => replica.stop())
  const admin = master.client()
  await waitFor(async () => /connected_slaves:1/.test(await admin.info('replication')), 10_000, 'the replica')
  // Each write waits for the replica: a sleeping replica holds it after Redis applied it.
  const mounted = await mountFor(t, master, { args: ['--wait-replicas', '1'] })
  await sh(`echo start > ${mounted.dir}/k`)
  void replica.client().call('debug', 'sleep', '2').catch(() => undefined)
  await new Promise(resolve => setTimeout(resolve, 100))
  const writing = bash(`echo once >> ${mounted.dir}/k`)
  await waitFor(async () => (await admin.xlen('dnpipes:{k}')) === 2, 5000, 'Redis to have the line')
  await killServer(mounted.daemon.pid!)
  const written = await writing
  t.equal(written.code, 0, `the write succeeded ${written.stderr}`)
  t.equal((await sh(`cat ${mounted.dir}/k`)).stdout.toString(), 'start\nonce\n', 'applied once')
})

t.test('SIGUSR2 hands the mount over to a new server: a blocked follower and an open writer go on', async t => {
  const server = await redisFor(t)
  const mounted = await mountFor(t, server)
  await sh(`echo one > ${mounted.dir}/k`)
  const follower = reader(t, `${mounted.dir}/.follow/k`)
  await until('the follower to block', () => follower.output() === 'one\n')
  const child = track(spawn('bash', ['-c', 'exec 3>> k; echo two >&3; read -r _; echo three >&3'], { cwd: mounted.dir, stdio: ['pipe', 'ignore', 'pipe'] }))
  const before = await serverPid(mounted.daemon.pid!)
  await until('the writer to write', () => follower.output() === 'one\ntwo\n')
  process.kill(mounted.daemon.pid!, 'SIGUSR2')
  await waitFor(async () => (await serverPid(mounted.daemon.pid!)) !== before, 10_000, 'the next server')
  child.stdin!.end('\n')
  t.equal(await new Promise(resolve => child.once('exit', resolve)), 0, 'the writer wrote through the same open file')
  await until('the follower to read on', () => follower.output() === 'one\ntwo\nthree\n')
  t.match(mounted.output(), /SIGUSR2: handing \S+ over to a new server/)
  t.notMatch(mounted.output(), /died/, 'no server died')
})

t.test('while Redis is down no server can start: the mount waits, pausing longer between tries, and goes on when Redis is back', async t => {
  const server = await redisFor(t)
  const mounted = await mountFor(t, server)
  await sh(`echo kept > ${mounted.dir}/k`)
  await server.stop()
  const pid = await serverPid(mounted.daemon.pid!)
  process.kill(pid, 'SIGKILL')
  const listing = bash(`ls ${mounted.dir}`)
  await new Promise(resolve => setTimeout(resolve, 1500))
  await server.start()
  const listed = await listing
  t.equal(listed.stdout.toString(), 'k\n', `ls waited for a server, and got its answer ${listed.stderr}`)
  t.match(mounted.output(), /starting another in \d+ ms/, 'the servers that could not start were retried after a pause')
  t.equal((await sh(`cat ${mounted.dir}/k`)).stdout.toString(), 'kept\n')
})

t.test('where the kernel cannot send requests again (as before Linux 6.9), what the dead server held fails at once; the mount goes on', async t => {
  const server = await redisFor(t)
  const mounted = await mountFor(t, server, { env: { ...process.env, DNPIPES_NO_RESEND: '1' } })
  await sh(`echo one > ${mounted.dir}/k`)
  const follower = reader(t, `${mounted.dir}/.follow/k`)
  await until('the follower to block', () => follower.output() === 'one\n')
  await killServer(mounted.daemon.pid!)
  t.equal(await follower.exited, 1, 'the blocked read failed, and did not hang')
  t.match(follower.output(), /Software caused connection abort/)
  t.equal((await sh(`echo two >> ${mounted.dir}/k && cat ${mounted.dir}/k`)).stdout.toString(), 'one\ntwo\n', 'new requests are served')
})
