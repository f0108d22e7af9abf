import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import t from 'tap'
import tmp from 'tmp'
import { pingSocket } from '../../src/redis/embedded'
import { mountFor, redisFor } from '../helpers/fixture'
import { CLI } from '../../scripts/support/mount'
import { run, RunOptions, sh, track } from '../../scripts/support/processes'
import { waitFor } from '../../scripts/support/redis-server'

// dnpipes push/pull/reset/ls/stat: the spec operations without FUSE, identical to the mount.

t.test('what push writes, cat on a mount shows, and what the mount writes, pull shows', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server)
  const cli = (args: string[], options: RunOptions = {}) => run(process.execPath, [CLI, ...args, '--redis', server.url], options)
  t.equal((await cli(['push', 'jobs', 'build', '42'])).code, 0)
  t.equal((await cli(['push', 'jobs'], { input: 'line one\nline two\nno newline' })).code, 0)
  t.equal((await sh(`cat ${dir}/jobs`)).stdout.toString(), 'build 42\nline one\nline two\nno newline')
  await sh(`echo from-mount >> ${dir}/jobs`)
  t.equal((await cli(['pull', 'jobs'])).stdout.toString(), 'build 42\nline one\nline two\nno newlinefrom-mount\n')
  const binary = randomBytes(200_000)
  t.equal((await cli(['push', 'blob', '--framing', 'write'], { input: binary })).code, 0)
  t.ok((await sh(`cat ${dir}/blob`)).stdout.equals(binary), 'binary round-trips through push and the mount')
  t.ok((await cli(['pull', 'blob'])).stdout.equals(binary), 'and through pull')
  const entries = await server.client().xrange('dnpipes:{jobs}', '-', '+')
  t.same(entries.map(([, f]) => f), [['data', 'build 42'], ['data', 'line one'], ['data', 'line two'], ['data', 'no newline', 'raw', '1'], ['data', 'from-mount']])
})

t.test('reset, ls, stat --json', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server)
  const cli = (...args: string[]) => run(process.execPath, [CLI, ...args, '--redis', server.url])
  await sh(`mkdir -p ${dir}/team/a && printf 'a\\nbb\\n' > ${dir}/team/a/orders && touch ${dir}/top`)
  t.equal((await cli('ls')).stdout.toString(), 'team/\ntop\n')
  t.equal((await cli('ls', 'team/a')).stdout.toString(), 'orders\n')
  const stat = JSON.parse((await cli('stat', 'team/a/orders', '--json')).stdout.toString())
  t.match(stat, { topic: 'team/a/orders', key: 'dnpipes:{team/a/orders}', entries: 2, bytes: 5, firstId: /^\d+-\d+$/, lastId: /^\d+-\d+$/ })
  t.ok(Math.abs(Date.parse(stat.mtime) - Date.now()) < 60_000, 'mtime is the time of the last message')
  t.match((await cli('stat', 'top')).stdout.toString(), /^topic\s+top\nkey\s+dnpipes:\{top\}\nentries\s+0\nbytes\s+0\nfirstId\s+-\nlastId\s+-\n/)
  t.equal((await cli('reset', 'team/a/orders')).code, 0)
  t.equal((await sh(`stat -c %s ${dir}/team/a/orders`)).stdout.toString(), '0\n')
  t.equal((await cli('stat', 'team/a/orders', '--json')).stdout.toString().includes('"entries":0'), true)
})

t.test('errors: exit 1 with a message; bad usage exits 2', async t => {
  const server = await redisFor(t)
  const cli = (...args: string[]) => run(process.execPath, [CLI, ...args, '--redis', server.url])
  const missing = await cli('pull', 'nope')
  t.equal(missing.code, 1)
  t.match(missing.stderr, /^dnpipes: no topic nope\n$/)
  t.equal((await cli('reset', 'nope')).code, 1)
  await cli('push', 'top', 'x')
  const underTopic = await cli('push', 'top/x', 'y')
  t.equal(underTopic.code, 1)
  t.match(underTopic.stderr, /^dnpipes: top is a topic\n$/)
  t.match((await cli('rm', 'nope')).stderr, /^dnpipes: cannot remove nope: no such topic or directory\n$/)
  t.equal((await cli('rm', '-f', 'nope')).code, 0, 'rm -f: a missing path is no error')
  t.equal((await cli('mkdir', 'a/b')).code, 1, 'mkdir without -p needs the parent')
  t.equal((await cli('pull')).code, 2)
  t.equal((await cli('stat', 'x', '--bogus')).code, 2)
  t.match((await run(process.execPath, [CLI, 'push', '--help'])).stdout.toString(), /Examples:/)
})

t.test('push makes missing namespaces; mkdir, rm, mv and ls -l as coreutils do them on the mount', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server)
  const cli = (...args: string[]) => run(process.execPath, [CLI, ...args, '--redis', server.url])
  t.equal((await cli('push', 'team/a/orders', 'first')).code, 0, 'push into directories that do not exist yet')
  t.equal((await sh(`cat ${dir}/team/a/orders`)).stdout.toString(), 'first\n')
  t.equal((await cli('mkdir', '-p', 'team/b/c', 'team/a')).code, 0)
  t.equal((await sh(`find ${dir}/team | sort`)).stdout.toString(),
    [`${dir}/team`, `${dir}/team/a`, `${dir}/team/a/orders`, `${dir}/team/b`, `${dir}/team/b/c`].join('\n') + '\n')
  const exists = await cli('mkdir', 'team')
  t.equal(exists.code, 1, 'mkdir of an existing directory fails without -p')

  await sh(`printf 'a\\nbb\\n' >> ${dir}/team/a/orders && touch ${dir}/team/a/empty && echo x >> ${dir}/team/a/other`)
  await sh(`mkdir ${dir}/team/a/sub && chmod 1770 ${dir}/team/a/sub && chown 65534:1 ${dir}/team/a/other && chmod 604 ${dir}/team/a/other && chmod 600 ${dir}/team/a/empty`)
  const ours = (await cli('ls', '-l', 'team/a')).stdout.toString()
  const theirs = (await sh(`ls -l ${dir}/team/a`)).stdout.toString()
  t.equal(ours, theirs, 'dnpipes ls -l prints what ls -l prints on the mount')
  t.match((await cli('ls', '-l', 'team/a/orders')).stdout.toString(), /^total 1\n-rw-r--r-- 1 root root 11 \w{3} [ \d]\d \d\d:\d\d team\/a\/orders\n$/, 'a topic lists itself')

  const rmDir = await cli('rm', 'team/b')
  t.equal(rmDir.code, 1)
  t.match(rmDir.stderr, /is a directory \(use -r\)/)
  t.equal((await cli('rm', '-r', 'team/b')).code, 0)
  t.equal((await sh(`ls ${dir}/team`)).stdout.toString(), 'a\n', 'rm -r removed the tree')
  t.equal((await cli('rm', 'team/a/empty')).code, 0)

  t.equal((await cli('rm', '-r', 'team/a/sub')).code, 0)
  t.equal((await cli('mv', 'team/a/other', 'team/a/renamed')).code, 0)
  t.equal((await sh(`cat ${dir}/team/a/renamed`)).stdout.toString(), 'x\n')
  t.equal((await cli('mkdir', 'archive')).code, 0)
  t.equal((await cli('mv', 'team', 'archive')).code, 0, 'a directory moves into an existing directory')
  t.equal((await sh(`cd ${dir} && find archive team 2>/dev/null | sort`)).stdout.toString(),
    ['archive', 'archive/team', 'archive/team/a', 'archive/team/a/orders', 'archive/team/a/renamed'].join('\n') + '\n')
  t.equal((await sh(`cat ${dir}/archive/team/a/orders`)).stdout.toString(), 'first\na\nbb\n', 'messages moved with their topic')
  t.equal((await sh(`stat -c '%u:%g %a' ${dir}/archive/team/a/renamed`)).stdout.toString(), '65534:1 604\n', 'and their owner and mode')
  t.match((await cli('mv', 'archive', 'archive/team/x')).stderr, /into itself/)
  t.match((await cli('rm', '-r', '/')).stderr, /root cannot be removed/)
})

t.test('pull --follow and --live block like the views; SIGINT ends them at once; a closed pipe ends pull', async t => {
  const server = await redisFor(t)
  const cli = (...args: string[]) => run(process.execPath, [CLI, ...args, '--redis', server.url])
  await cli('push', 'events', 'old')
  const start = (flag: string) => {
    const child = track(spawn(process.execPath, [CLI, 'pull', 'events', flag, '--redis', server.url], { stdio: ['ignore', 'pipe', 'pipe'] }))
    let out = ''
    child.stdout!.on('data', chunk => { out += chunk })
    const exited = new Promise(resolve => child.once('exit', (code, signal) => resolve(code ?? signal)))
    return { child, out: () => out, exited }
  }
  const follower = start('--follow')
  const live = start('--live')
  await waitFor(async () => follower.out() === 'old\n', 5000, 'the replay')
  await new Promise(resolve => setTimeout(resolve, 300))
  await cli('push', 'events', 'new')
  await waitFor(async () => follower.out() === 'old\nnew\n' && live.out() === 'new\n', 5000, 'delivery')
  t.pass('delivered')
  const started = Date.now()
  follower.child.kill('SIGINT')
  live.child.kill('SIGINT')
  t.same(await Promise.all([follower.exited, live.exited]), ['SIGINT', 'SIGINT'])
  t.ok(Date.now() - started < 1000, `ended in ${Date.now() - started} ms`)
  await run(process.execPath, [CLI, 'push', 'many', '--redis', server.url], { input: 'x'.repeat(99) + '\n'.repeat(1) + Array.from({ length: 20_000 }, (_, i) => `line ${i}\n`).join('') })
  const head = await sh(`node ${CLI} pull many --redis ${server.url} | head -n 1`)
  t.equal(head.stdout.toString().split('\n')[0], 'x'.repeat(99), 'a closed pipe ends pull quietly')
  t.equal(head.stderr, '')
})

t.test('with no target the commands use the embedded Redis, and leave it as they found it', async t => {
  const dataDir = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-state-' })
  t.teardown(() => dataDir.removeCallback())
  const socket = path.join(dataDir.name, 'redis.sock')
  const env = { ...process.env, DNPIPES_REDIS_URL: '' }
  const cli = (...args: string[]) => run(process.execPath, [CLI, ...args, '--data-dir', dataDir.name], { env })
  t.equal((await cli('push', 'offline', 'kept')).code, 0)
  await waitFor(async () => !await pingSocket(socket), 5000, 'the server the command started to stop')
  const mounted = await mountFor(t, undefined, { args: ['--data-dir', dataDir.name], env })
  t.equal((await sh(`cat ${mounted.dir}/offline`)).stdout.toString(), 'kept\n', 'persisted, and visible to a later mount')
  t.equal((await cli('pull', 'offline')).stdout.toString(), 'kept\n')
  t.ok(await pingSocket(socket), 'a command leaves a server that a mount uses running')
  t.equal(await mounted.stop(), 0)
  await waitFor(async () => !await pingSocket(socket), 5000, 'the server to stop with the last mount')
})
