import { promises as fs } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import t from 'tap'
import tmp from 'tmp'
import { isMounted } from '../../src/mount/lifecycle'
import { mountFor, redisFor } from '../helpers/fixture'
import { CLI } from '../../scripts/support/mount'
import { run, sh, trackMount, untrackMount } from '../../scripts/support/processes'
import { freePort } from '../../scripts/support/redis-server'

// Extended attributes, Prometheus metrics, doctor, and mounting through mount(8).

function get (url: string): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, response => {
      let body = ''
      response.on('data', chunk => { body += chunk })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    }).on('error', reject)
  })
}

t.test('user.dnpipes.* extended attributes, with getfattr and with a small buffer', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server)
  await sh(`printf 'a\\nb\\n' > ${dir}/jobs && touch ${dir}/empty`)
  const entries = await server.client().xrange('dnpipes:{jobs}', '-', '+')
  const dump = await sh(`getfattr --absolute-names -d -m - ${dir}/jobs`)
  t.equal(dump.stdout.toString(), `# file: ${dir}/jobs\nuser.dnpipes.entries="2"\nuser.dnpipes.first-id="${entries[0]![0]}"\n` +
    `user.dnpipes.key="dnpipes:{jobs}"\nuser.dnpipes.last-id="${entries[1]![0]}"\n\n`)
  t.equal((await sh(`getfattr --absolute-names --only-values -n user.dnpipes.entries ${dir}/empty`)).stdout.toString(), '0')
  const probe = await run('python3', ['-c', `
import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
small = ctypes.create_string_buffer(3)
r = libc.getxattr(sys.argv[1].encode(), b'user.dnpipes.key', small, 3)
print(r, errno.errorcode.get(ctypes.get_errno()))
r = libc.listxattr(sys.argv[1].encode(), small, 3)
print(r, errno.errorcode.get(ctypes.get_errno()))
print(os.getxattr(sys.argv[1], 'user.dnpipes.key').decode())
`, `${dir}/jobs`])
  t.equal(probe.stdout.toString(), '-1 ERANGE\n-1 ERANGE\ndnpipes:{jobs}\n', probe.stderr)
  t.match((await sh(`setfattr -n user.dnpipes.key -v x ${dir}/jobs`)).stderr, /Operation not supported/)
  t.match((await sh(`setfattr -n user.other -v x ${dir}/jobs`)).stderr, /Operation not supported/)
  t.equal((await sh(`getfattr --absolute-names -d -m - ${dir}`)).stdout.toString(), '', 'directories have none')
})

t.test('--metrics serves Prometheus metrics', async t => {
  const server = await redisFor(t)
  const mounted = await mountFor(t, server, { args: ['--metrics', '127.0.0.1:0'] })
  const url = /metrics on (http:\/\/\S+\/metrics)/.exec(mounted.output())?.[1]
  t.ok(url, 'the ready line gives the address')
  await sh(`printf 'a\\nb\\nc\\n' >> ${mounted.dir}/m; cat ${mounted.dir}/m > /dev/null; cat ${mounted.dir}/missing`)
  const { status, body } = await get(url!)
  t.equal(status, 200)
  t.match(body, /^dnpipes_operations_total\{op="write"\} 1$/m)
  t.match(body, /^dnpipes_errors_total\{op="lookup",errno="ENOENT"\} [1-9]/m, 'the kernel\'s lookup of the missing name')
  t.match(body, /^dnpipes_bytes_written_total 6$/m)
  t.match(body, /^dnpipes_bytes_read_total 6$/m)
  t.match(body, /^dnpipes_messages_pushed_total 3$/m)
  t.match(body, /^dnpipes_messages_read_total 3$/m)
  // The write is timed (a count, not a speed: timings belong to npm run bench).
  t.match(body, /^dnpipes_operation_duration_seconds_count\{op="write"\} 1$/m)
  t.match(body, /^dnpipes_operation_duration_seconds_bucket\{le="\+Inf",op="write"\} 1$/m)
  t.match(body, /^dnpipes_blocked_followers 0$/m)
  t.match(body, /^dnpipes_redis_connected 1$/m)
  t.equal((await get(url!.replace('/metrics', '/other'))).status, 404)
})

t.test('doctor: all ok with a reachable Redis; says what to fix without one', async t => {
  const server = await redisFor(t)
  const good = await run(process.execPath, [CLI, 'doctor', '--redis', server.url])
  t.equal(good.code, 0, good.stdout.toString())
  t.match(good.stdout.toString(), /^ok +\/dev\/fuse/m)
  t.match(good.stdout.toString(), /^ok +fusermount/m)
  t.match(good.stdout.toString(), /^ok +Redis +Redis \d+\.\d+\.\d+ at redis:\/\/127\.0\.0\.1/m)
  t.match(good.stdout.toString(), /^ok +replay pages +plain XRANGE pages/m)
  // A user allowed only what the scripts need: replays work, slower; doctor warns and passes.
  await server.client().call('ACL', 'SETUSER', 'scripts', 'on', '>pw', '~*', '&*', '+@all', '-multi')
  const limited = await run(process.execPath, [CLI, 'doctor', '--redis', `redis://scripts:pw@127.0.0.1:${server.port}`])
  t.equal(limited.code, 0, limited.stdout.toString())
  t.match(limited.stdout.toString(), /^warn +replay pages +replays go through the read script, which is slower: NOPERM .*'multi'/m)
  t.match(limited.stdout.toString(), /fix: let the user run multi, exec/)
  const port = await freePort()
  const bad = await run(process.execPath, [CLI, 'doctor', '--redis', `redis://127.0.0.1:${port}`])
  t.equal(bad.code, 1)
  t.match(bad.stdout.toString(), new RegExp(`^FAIL +Redis +cannot use Redis at redis://127\\.0\\.0\\.1:${port}.*ECONNREFUSED`, 'm'))
  t.match(bad.stdout.toString(), /fix: check the URL/)
})

t.test('mount -t fuse "dnpipes#URL" (an /etc/fstab line) mounts in the background', async t => {
  const server = await redisFor(t)
  const bin = tmp.dirSync({ unsafeCleanup: true })
  const program = path.join(bin.name, 'dnpipes')
  await fs.writeFile(program, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 })
  const dir = tmp.dirSync({ prefix: 'dnpipes-fstab-' }).name
  trackMount(dir)
  t.teardown(async () => {
    await run('fusermount', ['-uz', dir])
    untrackMount(dir)
    await fs.rmdir(dir).catch(() => undefined)
    bin.removeCallback()
  })
  const mounted = await run('mount', ['-t', 'fuse', `${program}#${server.url}`, dir, '-o', 'prefix=fstab:,otrunc=reset'])
  t.equal(mounted.code, 0, mounted.stderr)
  t.ok(await isMounted(dir))
  await sh(`echo a > ${dir}/t; echo b > ${dir}/t`)
  t.equal((await sh(`cat ${dir}/t`)).stdout.toString(), 'b\n', 'the options were applied (otrunc=reset)')
  t.equal(await server.client().xlen('fstab:{t}'), 1, 'and the prefix')
  t.equal((await run(process.execPath, [CLI, 'unmount', dir])).code, 0)
  t.notOk(await isMounted(dir))
  const refused = await run('mount', ['-t', 'fuse', `${program}#${server.url}`, dir, '-o', 'bogus'])
  t.not(refused.code, 0)
  t.match(refused.stderr, /unknown mount option "bogus"/)
})

t.test('DEBUG=dnpipes:* logs one line per operation with its result and caller, payloads cut', async t => {
  const server = await redisFor(t)
  const mounted = await mountFor(t, server, { args: ['--allow-other'], env: { ...process.env, DEBUG: 'dnpipes:fuse' } })
  await sh(`printf '%0200d\\n' 7 >> ${mounted.dir}/logged; cat ${mounted.dir}/nothing-here`)
  // The shell prints its pid and becomes cat: the read comes from that pid, as user nobody.
  const reader = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', `echo $$; exec cat ${mounted.dir}/logged`])
  const [pid, content] = reader.stdout.toString().split('\n')
  t.equal(content, '0'.repeat(199) + '7', 'nobody reads the topic')
  await new Promise(resolve => setTimeout(resolve, 100))
  const log = mounted.output()
  t.match(log, new RegExp(`dnpipes:fuse write /logged fd=\\d+ 201@0 "0{64}"\\.\\.\\. \\(201 bytes\\) -> ok \\(\\d+(\\.\\d+)? us\\) by pid \\d+ uid ${process.getuid!()}`))
  t.match(log, /dnpipes:fuse lookup \/nothing-here -> ENOENT: no such file.* by pid \d+ uid 0/)
  // ls -l asks for these of every file: the addon answers them without JavaScript.
  const foreign = await sh(`getfattr -n security.selinux ${mounted.dir}/logged; getfattr -n system.posix_acl_access ${mounted.dir}/logged; getfattr --only-values -n user.dnpipes.entries ${mounted.dir}/logged`)
  t.match(foreign.stderr.toString(), /security\.selinux: No such attribute[\s\S]*system\.posix_acl_access: No such attribute/)
  t.equal(foreign.stdout.toString(), '1', 'a user.dnpipes.* name is answered')
  await new Promise(resolve => setTimeout(resolve, 100))
  const later = mounted.output()
  t.match(later, /dnpipes:fuse getxattr \/logged user\.dnpipes\.entries -> ok/)
  t.notMatch(later, /getxattr \/logged (security\.selinux|system\.posix_acl_access)/, 'other names never reach the operations')
  t.match(log, new RegExp(`dnpipes:fuse read /logged fd=\\d+ \\d+@0 -> ok \\(\\d+(\\.\\d+)? us\\) by pid ${pid} uid 65534`), 'the reader\'s own pid and uid')
})

t.test('push shows progress on a terminal for large inputs', async t => {
  const server = await redisFor(t)
  const scratch = tmp.dirSync({ unsafeCleanup: true })
  t.teardown(() => scratch.removeCallback())
  const input = path.join(scratch.name, 'big')
  await fs.writeFile(input, Buffer.alloc(6 * 1024 * 1024, 'x\n'))
  // script(1) gives the command a terminal, as a user at a shell has.
  const result = await run('script', ['-qec', `${process.execPath} ${CLI} push big --redis ${server.url} < ${input}`, '/dev/null'])
  t.equal(result.code, 0)
  t.match(result.stdout.toString(), /dnpipes: pushed 6\.0 MiB to big/)
  t.equal(await server.client().xlen('dnpipes:{big}'), 3 * 1024 * 1024)
})
