import { spawn } from 'node:child_process'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import tmp from 'tmp'
import { mountFor, redisFor } from '../helpers/fixture'
import { CLI, killMountAndServer } from '../../scripts/support/mount'
import { bash, run, sh, track } from '../../scripts/support/processes'
import { waitFor } from '../../scripts/support/redis-server'
import { numberedWriter } from '../helpers/writer'

// Faults: frozen and killed Redis, a killed daemon, hostile input.

t.test('Redis frozen (SIGSTOP): EIO within the deadline, then working again by itself', async t => {
  const server = await redisFor(t)
  const { dir, daemon } = await mountFor(t, server, { args: ['--op-timeout', '1000'] })
  await sh(`echo before >> ${dir}/f`)
  const pid = Number((await run('pgrep', ['-f', `redis-server .*:${server.port}`])).stdout.toString().trim().split('\n')[0])
  process.kill(pid, 'SIGSTOP')
  t.teardown(() => { try { process.kill(pid, 'SIGCONT') } catch {} })
  const started = Date.now()
  const failed = await bash(`cat ${dir}/f`)
  t.match(failed.stderr, /Input\/output error/)
  t.ok(Date.now() - started < 5000, `failed after ${Date.now() - started} ms`)
  t.equal(daemon.exitCode, null)
  process.kill(pid, 'SIGCONT')
  const resumed = Date.now()
  await waitFor(async () => (await bash(`cat ${dir}/f`)).stdout.toString().startsWith('before\n'), 5000, 'reads to work again')
  t.ok(Date.now() - resumed < 5000, `working again ${Date.now() - resumed} ms after Redis resumed`)
})

t.test('Redis killed and restarted from its AOF: every acknowledged line is there once, none torn', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server, { args: ['--op-timeout', '1000'] })
  await sh(`touch ${dir}/durable`)
  const writing = numberedWriter(`${dir}/durable`, { count: 400, pauseMs: 5 })
  // The writer's process must have opened the file and be writing when Redis dies.
  await waitFor(async () => (await fs.stat(`${dir}/durable`)).size > 200, 10_000, 'the writer to be writing')
  await server.stop('SIGKILL')
  await new Promise(resolve => setTimeout(resolve, 700))
  await server.start()
  const { acknowledged, failed, last } = await writing
  t.ok(failed.length > 0, `${failed.length} writes failed while Redis was down`)
  t.ok(failed.every(line => / EIO$/.test(line)), 'with EIO')
  t.ok(acknowledged.length > 100, `${acknowledged.length} writes acknowledged`)
  t.equal(last, 'ok 399', 'writes work again after the restart, on the same open file')
  const lines = (await sh(`cat ${dir}/durable`)).stdout.toString().split('\n')
  t.equal(lines.pop(), '')
  t.ok(lines.every(line => /^line \d+$/.test(line)), 'no torn or partial line')
  const seen = lines.map(line => Number(line.slice(5)))
  t.equal(new Set(seen).size, seen.length, 'no line twice')
  const missing = acknowledged.filter(n => !seen.includes(n))
  t.same(missing, [], 'every acknowledged line survived')
  t.same(seen, [...seen].sort((a, b) => a - b), 'in order')
})

t.test('the mount process and its server killed with writers and followers: errors, not a hang; the next mount recovers', async t => {
  const server = await redisFor(t)
  const first = await mountFor(t, server)
  await sh(`echo start > ${first.dir}/k`)
  const follower = track(spawn('cat', [`${first.dir}/.follow/k`], { stdio: ['ignore', 'pipe', 'pipe'] }))
  let followerError = ''
  follower.stderr!.on('data', chunk => { followerError += chunk })
  const followerExit = new Promise(resolve => follower.once('exit', code => resolve(code)))
  const writing = numberedWriter(`${first.dir}/k`, { count: 100_000, pauseMs: 1, stopOnError: true })
  // The writer's process must have opened the file and be writing when the daemon dies.
  await waitFor(async () => (await fs.stat(`${first.dir}/k`)).size > 1000, 10_000, 'the writer to be writing')
  await killMountAndServer(first.daemon.pid!)
  const killedAt = Date.now()
  const { last } = await writing
  t.equal(await followerExit, 1, 'the follower ends with an error')
  t.match(followerError, /Transport endpoint is not connected|Software caused connection abort/)
  t.ok(Date.now() - killedAt < 5000, `both ended ${Date.now() - killedAt} ms after the kill`)
  t.match(last, /^err \d+ (ENOTCONN|ECONNABORTED)$/, 'the writer sees ENOTCONN')
  const second = await mountFor(t, server, { dir: first.dir })
  const lines = (await sh(`cat ${second.dir}/k`)).stdout.toString().split('\n')
  lines.pop()
  t.equal(lines[0], 'start')
  t.ok(lines.slice(1).every(line => /^line \d+$/.test(line)), `${lines.length - 1} lines, none torn`)
})

t.test('hostile and odd input: the errno a Unix user expects, the topic intact', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server)
  const run = (script: string) => bash(script, { cwd: dir })
  t.match((await run(`touch $(printf '\\xff\\xfe')`)).stderr, /Invalid or incomplete multibyte/, 'a non-UTF-8 name: EILSEQ')
  t.equal((await run(`touch "$(printf 'a\\nb')" && ls -b`)).stdout.toString(), 'a\\nb\n', 'a name with a newline works')
  t.equal((await run(`echo x > "$(printf 'a\\nb')" && cat "$(printf 'a\\nb')"`)).stdout.toString(), 'x\n')
  t.equal((await run('dd if=/dev/zero of=direct bs=4096 count=2 oflag=direct status=none && stat -c %s direct')).stdout.toString(), '8192\n', 'O_DIRECT works')
  t.equal((await run('echo a > seeked && echo b | dd of=seeked bs=1 seek=1000 conv=notrunc status=none && cat seeked')).stdout.toString(), 'a\nb\n', 'a write at an offset appends, as on a pipe')
  const mmap = await runPython(`import mmap, sys\nf = open(sys.argv[1], 'rb')\ntry:\n  mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)\n  print('mapped')\nexcept OSError as e:\n  print(e.errno)`, `${dir}/seeked`)
  t.equal(mmap, '19', 'mmap is refused cleanly (ENODEV)')
  t.match((await run(`rmdir ${dir}`)).stderr, /Device or resource busy/)
  t.equal((await run('mkdir d && echo dots > ./d/../d/./../dotted && cat dotted && ls d')).stdout.toString(), 'dots\n', '. and .. resolve as on any filesystem')
  t.match((await run('mkdir ..')).stderr, /File exists/)
  t.match((await run('rm -d .')).stderr, /refusing to remove|Invalid argument|Directory not empty/)
  t.equal((await run(`cat ${dir}/../$(basename ${dir})/dotted`)).stdout.toString(), 'dots\n')
  t.match((await run('truncate -s -1 seeked; truncate -s 99999999999 seeked')).stderr, /Invalid argument/)
  t.equal((await run('cat seeked')).stdout.toString(), 'a\nb\n', 'untouched by the refused operations')
})

t.test('a 100 MB single line round-trips', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server)
  const scratch = tmp.dirSync({ unsafeCleanup: true })
  t.teardown(() => scratch.removeCallback())
  const source = path.join(scratch.name, 'line')
  await fs.writeFile(source, Buffer.concat([Buffer.alloc(100 * 1024 * 1024, 'y'), Buffer.from('\n')]))
  t.equal((await sh(`cat ${source} > ${dir}/huge && cmp ${source} ${dir}/huge && echo same`, { timeoutMs: 120_000 })).stdout.toString(), 'same\n')
  t.equal(await server.client().xlen('dnpipes:{huge}'), 100, 'stored as 1 MiB pieces')
})

t.test('isolation: --prefix keeps mounts apart; without --allow-other other users cannot enter', async t => {
  const server = await redisFor(t)
  const redis = server.client()
  const a = await mountFor(t, server, { args: ['--prefix', 'team-a:'] })
  const b = await mountFor(t, server, { args: ['--prefix', 'team-b:'] })
  await sh(`mkdir ${a.dir}/d && echo secret > ${a.dir}/d/t && echo other > ${b.dir}/t`)
  t.equal((await sh(`ls -a ${b.dir}`)).stdout.toString(), '.\n..\n.delay\n.follow\n.group\n.live\nt\n')
  t.match((await sh(`cat ${b.dir}/d/t`)).stderr, /No such file/)
  const keys = (await redis.keys('*')).sort()
  t.ok(keys.every(key => key.startsWith('team-a:') || key.startsWith('team-b:')), keys.join(' '))
  t.ok(keys.filter(key => key.startsWith('team-a:')).every(key => key.includes('{d') || key.includes('{/}')), 'a\'s keys hold only a\'s paths')
  const asNobody = (command: string) => run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', command])
  t.match((await asNobody(`ls ${a.dir}`)).stderr, /Permission denied/)
  const shared = await mountFor(t, server, { args: ['--allow-other'] })
  await sh(`echo readable > ${shared.dir}/pub`)
  t.equal((await asNobody(`cat ${shared.dir}/pub`)).stdout.toString(), 'readable\n', 'with --allow-other others read')
  t.match((await asNobody(`echo x >> ${shared.dir}/pub`)).stderr, /Permission denied/, 'and the modes keep them from writing')
})

t.test('--uid, --gid and --umask: what entries without stored ownership show (the root, until changed); the kernel enforces it', async t => {
  const server = await redisFor(t)
  const asNobody = (command: string) => run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', command])
  const theirs = await mountFor(t, server, { args: ['--allow-other', '--uid', '65534', '--gid', '65534'] })
  t.equal((await sh(`stat -c '%u:%g %a' ${theirs.dir}`)).stdout.toString(), '65534:65534 755\n')
  const pushed = await asNobody(`umask 022 && mkdir ${theirs.dir}/app && echo first > ${theirs.dir}/app/events && mkdir ${theirs.dir}/app/sub && echo x > ${theirs.dir}/app/sub/t && echo ok`)
  t.equal(pushed.stdout.toString(), 'ok\n', `the shown owner of the root makes directories and topics in it: ${pushed.stderr}`)
  t.equal((await sh(`stat -c '%u:%g %a' ${theirs.dir}/app ${theirs.dir}/app/events`)).stdout.toString(), '65534:65534 755\n65534:65534 644\n')
  const asDaemon = (command: string) => run('setpriv', ['--reuid=1', '--regid=1', '--clear-groups', 'sh', '-c', command])
  t.match((await asDaemon(`echo no >> ${theirs.dir}/app/events`)).stderr, /Permission denied/, 'another user is held to the 644')
  t.match((await asDaemon(`echo no > ${theirs.dir}/mine`)).stderr, /Permission denied/, 'and to the root\'s 755')

  const open = await mountFor(t, server, { args: ['--allow-other', '--umask', '000', '--prefix', 'open:'] })
  await sh(`umask 000 && echo first > ${open.dir}/shared && umask 022 && echo first > ${open.dir}/guarded`)
  t.equal((await sh(`stat -c '%a' ${open.dir} ${open.dir}/shared ${open.dir}/guarded`)).stdout.toString(), '777\n666\n644\n',
    'the root shows the mount\'s umask; a new topic its maker\'s')
  t.equal((await asNobody(`echo from-nobody >> ${open.dir}/shared && echo x > ${open.dir}/nobodys && echo ok`)).stdout.toString(), 'ok\n', 'anybody pushes and makes topics')
  t.equal((await sh(`cat ${open.dir}/shared`)).stdout.toString(), 'first\nfrom-nobody\n')

  const bad = await run(process.execPath, [CLI, 'mount', open.dir, '--umask', '0o22', '--redis', server.url])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /expected an octal mask/)
})

async function runPython (source: string, arg: string): Promise<string> {
  const result = await run('python3', ['-c', source, arg])
  return result.stdout.toString().trim() || result.stderr
}
