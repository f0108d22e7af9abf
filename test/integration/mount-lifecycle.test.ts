import net from 'node:net'
import { existsSync, promises as fs } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import tmp from 'tmp'
import { isMounted } from '../../src/mount/lifecycle'
import { pingSocket } from '../../src/redis/embedded'
import { mountFor, redisFor } from '../helpers/fixture'
import { CLI, killMountAndServer, mount, MountedDir, serverPid } from '../../scripts/support/mount'
import { run, sh } from '../../scripts/support/processes'
import { freePort, waitFor } from '../../scripts/support/redis-server'

// Mount, unmount, signals, stale mounts, unreachable Redis, the embedded server.

t.test('SIGTERM and SIGINT unmount cleanly and exit 0', async t => {
  const server = await redisFor(t)
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const mounted = await mountFor(t, server)
    t.match(mounted.output(), /^dnpipes: mounted \S+ \(redis:\/\/127\.0\.0\.1:\d+\/?, prefix "dnpipes:", framing line\)\n$/, 'one ready line')
    t.ok(await isMounted(mounted.dir))
    mounted.daemon.kill(signal)
    t.equal(await mounted.exited, 0, `${signal}: exit code 0`)
    t.notOk(await isMounted(mounted.dir), `${signal}: unmounted`)
  }
})

t.test('dnpipes unmount stops the daemon', async t => {
  const server = await redisFor(t)
  const mounted = await mountFor(t, server)
  const result = await run(process.execPath, [CLI, 'unmount', mounted.dir])
  t.equal(result.code, 0, result.stderr)
  t.equal(await mounted.exited, 0)
  t.notOk(await isMounted(mounted.dir))
  const again = await run(process.execPath, [CLI, 'unmount', mounted.dir])
  t.equal(again.code, 1)
  t.match(again.stderr, /is not mounted/)
})

t.test('a mount process killed outright: its server ends the mount, cleanly', async t => {
  const server = await redisFor(t)
  const mounted = await mountFor(t, server)
  await sh(`echo kept >> ${mounted.dir}/t`)
  const serving = await serverPid(mounted.daemon.pid!)
  mounted.daemon.kill('SIGKILL')
  await mounted.exited
  await waitFor(async () => !await isMounted(mounted.dir), 5000, 'the server to unmount')
  await waitFor(async () => !existsSync(`/proc/${serving}`), 5000, 'the server to exit')
  const again = await mountFor(t, server, { dir: mounted.dir })
  t.equal((await sh(`cat ${again.dir}/t`)).stdout.toString(), 'kept\n')
})

t.test('a mount left by a killed mount process and server is recovered by the next mount', async t => {
  const server = await redisFor(t)
  const first = await mountFor(t, server)
  await sh(`echo survives >> ${first.dir}/t`)
  await killMountAndServer(first.daemon.pid!)
  await first.exited
  t.match((await sh(`ls ${first.dir}`)).stderr, /Transport endpoint is not connected/)
  const second = await mountFor(t, server, { dir: first.dir })
  t.equal((await sh(`cat ${second.dir}/t`)).stdout.toString(), 'survives\n')
})

t.test('mounting over a live mount is refused with a clear message', async t => {
  const server = await redisFor(t)
  const first = await mountFor(t, server)
  const second = await run(process.execPath, [CLI, 'mount', first.dir, '--redis', server.url], { timeoutMs: 10_000 })
  t.equal(second.code, 1)
  t.match(second.stderr, /already mounted/)
  t.equal((await sh(`touch ${first.dir}/still-works && ls ${first.dir}`)).stdout.toString(), 'still-works\n')
})

t.test('Redis unreachable at mount: a message naming the target and exit 1 within a few seconds', async t => {
  const refusedPort = await freePort()
  // A listener that never answers: the connection opens, the handshake never completes.
  const held = new Set<net.Socket>()
  const silent = net.createServer(socket => { held.add(socket); socket.on('error', () => undefined) })
  await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => {
    for (const socket of held) socket.destroy()
    silent.close(() => resolve())
  }))
  const silentPort = (silent.address() as net.AddressInfo).port
  // A refused connection fails at once: how long it takes is the cost of starting the mount on
  // this machine now, the baseline the silent server's wait is measured against.
  let startup = 0
  for (const [what, url] of [['refused', `redis://127.0.0.1:${refusedPort}`], ['silent', `redis://127.0.0.1:${silentPort}`]]) {
    const dir = tmp.dirSync({ unsafeCleanup: true })
    const started = Date.now()
    const result = await run(process.execPath, [CLI, 'mount', dir.name, '--redis', url!], { timeoutMs: 15_000 })
    const elapsed = Date.now() - started
    t.equal(result.code, 1, `${what}: exit code`)
    t.match(result.stderr, new RegExp(`cannot use Redis at redis://127\\.0\\.0\\.1:${url!.split(':')[2]}`), `${what}: names the target`)
    if (what === 'refused') startup = elapsed
    else {
      t.match(result.stderr, /did not finish within 3000 ms/, 'silent: says how long it waited')
      t.ok(elapsed - startup < 5000, `silent: gave up ${elapsed - startup} ms later than a refused connection (${elapsed} ms in all)`)
    }
    t.notOk(await isMounted(dir.name))
    dir.removeCallback()
  }
})

t.test('passwords never show in messages', async t => {
  const port = await freePort()
  const result = await run(process.execPath, [CLI, 'mount', '/tmp/unused', '--redis', `redis://user:s3cret@127.0.0.1:${port}`], { timeoutMs: 15_000 })
  t.equal(result.code, 1)
  t.notMatch(result.stderr, /s3cret/)
  t.match(result.stderr, /\*\*\*/)
})

t.test('DNPIPES_REDIS_URL selects the Redis when --redis is absent', async t => {
  const server = await redisFor(t)
  const mounted = await mountFor(t, undefined, { env: { ...process.env, DNPIPES_REDIS_URL: server.url } })
  await sh(`echo via-env >> ${mounted.dir}/e`)
  t.equal(await server.client().xlen('dnpipes:{e}'), 1)
})

t.test('CLI usage: --help exits 0, bad usage exits 2', async t => {
  const help = await run(process.execPath, [CLI, 'mount', '--help'])
  t.equal(help.code, 0)
  t.match(help.stdout.toString(), /--redis <url>[\s\S]*Example:/)
  const bad = await run(process.execPath, [CLI, 'mount', '/tmp/x', '--framing', 'bytes'])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /framing/)
  const missing = await run(process.execPath, [CLI, 'mount'])
  t.equal(missing.code, 2)
})

t.test('embedded Redis: started by the first mount, shared, persistent, stopped by the last', async t => {
  const dataDir = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-state-' })
  t.teardown(async () => {
    // Whatever happened, do not leave a server behind.
    const pid = await fs.readFile(path.join(dataDir.name, 'redis.pid'), 'utf8').catch(() => '')
    if (pid) try { process.kill(Number(pid), 'SIGKILL') } catch {}
    dataDir.removeCallback()
  })
  const socket = path.join(dataDir.name, 'redis.sock')
  const args = ['--data-dir', dataDir.name]
  // The daemons' own account of how they stopped goes with any failed assertion.
  const env = { ...process.env, DNPIPES_REDIS_URL: '', DEBUG: 'dnpipes:mount,dnpipes:redis' }
  const serverLog = () => fs.readFile(path.join(dataDir.name, 'redis.log'), 'utf8').catch(() => '')
  /** How a daemon stopped: its exit, and what it and the server said, for the assertion's diagnostics. */
  const stop = async (mounted: MountedDir) => {
    const started = Date.now()
    const code = await mounted.stop()
    return { code, extra: { stopMs: Date.now() - started, output: mounted.output(), redisLog: await serverLog() } }
  }
  const a = await mount(undefined, { args, env })
  const b = await mount(undefined, { args, env })
  t.teardown(() => a.stop())
  t.teardown(() => b.stop())
  t.match(a.output(), /embedded redis-server at .*redis\.sock/)
  await sh(`echo kept > ${a.dir}/persisted`)
  t.equal((await sh(`cat ${b.dir}/persisted`)).stdout.toString(), 'kept\n', 'a second local mount shares the server')
  const first = await stop(a)
  t.equal(first.code, 0, 'the first mount exits cleanly and leaves the server to the other', first.extra)
  t.ok(await pingSocket(socket), 'still running while another mount uses it')
  const last = await stop(b)
  t.equal(last.code, 0, 'the last mount exits cleanly after stopping the server', last.extra)
  await waitFor(async () => !await pingSocket(socket), 5000, 'the embedded server to stop')
  t.pass('stopped after the last mount exited')
  const c = await mount(undefined, { args, env })
  t.teardown(() => c.stop())
  t.equal((await sh(`cat ${c.dir}/persisted`)).stdout.toString(), 'kept\n', 'messages persist in the data directory (AOF)')
  const again = await stop(c)
  t.equal(again.code, 0, 'a mount of the same data directory exits cleanly', again.extra)
  await waitFor(async () => !await pingSocket(socket), 5000, 'the embedded server to stop')
})
