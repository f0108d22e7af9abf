import { promises as fs } from 'node:fs'
import path from 'node:path'
import t, { Test } from 'tap'
import tmp from 'tmp'
import { daemonPid, isMounted, unmountFilesystem } from '../../src/mount/lifecycle'
import { killMountAndServer, serverPid } from '../../scripts/support/mount'
import { bash, trackMount } from '../../scripts/support/processes'
import type { RedisServer } from '../../scripts/support/redis-server'
import { mountFor, redisFor } from '../helpers/fixture'
import { pluginCall, PluginReply, startDriver } from '../helpers/volume-plugin'

// `dnpipes volume-driver` spoken to as Docker and Podman speak to it (HTTP POSTs of JSON on its
// unix socket), its volumes checked through a mount of the whole store on the same Redis.

/** Ends the mounts of the volumes under `stateDir` that a test left (as a host's shutdown would). */
async function unmountVolumes (stateDir: string): Promise<void> {
  for (const name of await fs.readdir(path.join(stateDir, 'mounts')).catch(() => [])) {
    const mountpoint = path.join(stateDir, 'mounts', name)
    if (await isMounted(mountpoint)) await unmountFilesystem(mountpoint, true)
  }
}

/** A redis-server and a volume driver on it, in a directory of their own; stopped when `t` ends. */
async function driverFor (t: Test): Promise<{ server: RedisServer, socket: string, stateDir: string, call: (endpoint: string, body?: unknown) => Promise<PluginReply> }> {
  const server = await redisFor(t)
  const work = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-volumes-' }).name
  const socket = path.join(work, 'dnpipes.sock')
  const stateDir = path.join(work, 'state')
  const driver = await startDriver(socket, ['--state-dir', stateDir, '--redis', server.url])
  t.teardown(async () => {
    await driver.stop()
    await unmountVolumes(stateDir)
  })
  return { server, socket, stateDir, call: async (endpoint, body = {}) => await pluginCall(socket, endpoint, body) }
}

t.test('volumes: made, mounted per container, kept across a driver restart, repaired, removed', async t => {
  const server = await redisFor(t)
  const whole = await mountFor(t, server)
  const work = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-volumes-' }).name
  const socket = path.join(work, 'plugins', 'dnpipes.sock')
  const stateDir = path.join(work, 'state')
  const args = ['--state-dir', stateDir, '--redis', server.url]
  let driver = await startDriver(socket, args)
  t.teardown(async () => {
    await driver.stop()
    await unmountVolumes(stateDir)
  })
  const call = (endpoint: string, body: unknown = {}) => pluginCall(socket, endpoint, body)

  t.same((await call('Plugin.Activate')).body, { Implements: ['VolumeDriver'] })
  t.same((await call('VolumeDriver.Capabilities')).body, { Capabilities: { Scope: 'global' } })
  t.equal((await fs.stat(socket)).mode & 0o777, 0o600, 'the socket is its owner\'s alone')

  t.same(await call('VolumeDriver.Create', { Name: 'jobs', Opts: { path: 'team/a' } }), { status: 200, body: {} })
  t.same(await call('VolumeDriver.Create', { Name: 'jobs', Opts: { path: 'team/a' } }), { status: 200, body: {} }, 'made again alike: nothing to do')
  const other = await call('VolumeDriver.Create', { Name: 'jobs', Opts: { path: 'team/b' } })
  t.equal(other.status, 500)
  t.match(other.body.Err, /volume jobs exists with other options/)
  t.match((await call('VolumeDriver.List')).body, { Volumes: [{ Name: 'jobs', Status: { path: 'team/a', options: '', containers: 0, served: false, createdAt: String } }] })

  const mounted = await call('VolumeDriver.Mount', { Name: 'jobs', ID: 'c1' })
  t.equal(mounted.status, 200, JSON.stringify(mounted.body))
  const mountpoint = mounted.body.Mountpoint as string
  trackMount(mountpoint)
  t.equal(mountpoint, path.join(stateDir, 'mounts', 'jobs'))
  t.equal((await bash(`echo one >> ${mountpoint}/events && ls -A ${mountpoint}`)).stdout.toString(), '.delay\n.follow\n.group\n.live\nevents\n', 'a dnpipes root, views included')
  t.equal((await bash(`cat ${whole.dir}/team/a/events`)).stdout.toString(), 'one\n', 'of the namespace team/a')
  t.same((await call('VolumeDriver.Mount', { Name: 'jobs', ID: 'c2' })).body, { Mountpoint: mountpoint }, 'a second container, the same mount')
  t.same((await call('VolumeDriver.Mount', { Name: 'jobs', ID: 'c2' })).body, { Mountpoint: mountpoint }, 'a Mount sent twice counts once')
  t.same(await call('VolumeDriver.Unmount', { Name: 'jobs', ID: 'c1' }), { status: 200, body: {} })
  t.equal((await bash(`cat ${mountpoint}/events`)).stdout.toString(), 'one\n', 'still mounted for c2')

  await driver.stop()
  t.equal((await bash(`echo two >> ${mountpoint}/events`)).code, 0, 'the volume is served while the driver is down')
  driver = await startDriver(socket, args)
  t.same((await call('VolumeDriver.Path', { Name: 'jobs' })).body, { Mountpoint: mountpoint }, 'the restarted driver knows the volume and its mount')
  t.match((await call('VolumeDriver.Get', { Name: 'jobs' })).body, { Volume: { Name: 'jobs', Mountpoint: mountpoint, Status: { containers: 1, served: true } } })

  const pid = await daemonPid(mountpoint)
  t.ok(pid, 'the mount names its mount process')
  process.kill(await serverPid(pid!), 'SIGKILL')
  t.equal((await bash(`echo two-and-a-half >> ${mountpoint}/events`)).code, 0, 'a killed server is replaced: the mount goes on')
  await killMountAndServer(pid!)
  await new Promise(resolve => setTimeout(resolve, 200))
  t.match((await bash(`ls ${mountpoint}`)).stderr, /Transport endpoint is not connected/, 'the mount process and its server are gone for good')
  t.same((await call('VolumeDriver.Path', { Name: 'jobs' })).body, { Mountpoint: mountpoint }, 'Path finds the stale mount and serves it again')
  const afterRepair = await bash(`echo three >> ${mountpoint}/events && cat ${mountpoint}/events`)
  t.equal(afterRepair.stdout.toString(), 'one\ntwo\ntwo-and-a-half\nthree\n', `nothing acknowledged was lost ${afterRepair.stderr}`)

  t.same(await call('VolumeDriver.Unmount', { Name: 'jobs', ID: 'c2' }), { status: 200, body: {} })
  t.notOk(await isMounted(mountpoint), 'the last container gone, the mount ends')
  t.same(await call('VolumeDriver.Unmount', { Name: 'jobs', ID: 'c2' }), { status: 200, body: {} }, 'an Unmount sent twice is no error')
  t.same((await call('VolumeDriver.Path', { Name: 'jobs' })).body, { Mountpoint: '' }, 'no Mountpoint while unused')
  t.same(await call('VolumeDriver.Remove', { Name: 'jobs' }), { status: 200, body: {} })
  t.same((await call('VolumeDriver.List')).body, { Volumes: [] })
  t.equal((await bash(`cat ${whole.dir}/team/a/events`)).stdout.toString(), 'one\ntwo\ntwo-and-a-half\nthree\n', 'Remove leaves the topics')
  t.match(driver.output(), /volume driver on/)
})

t.test('volumes with an owner and read-only; a volume in use is not removed', async t => {
  const { server, call } = await driverFor(t)
  const whole = await mountFor(t, server)
  await bash(`mkdir -p ${whole.dir}/shared && echo hello >> ${whole.dir}/shared/news`)
  const mount = async (name: string): Promise<string> => {
    const reply = await call('VolumeDriver.Mount', { Name: name, ID: 'c1' })
    t.equal(reply.status, 200, JSON.stringify(reply.body))
    trackMount(reply.body.Mountpoint as string)
    return reply.body.Mountpoint as string
  }

  t.equal((await call('VolumeDriver.Create', { Name: 'mine', Opts: { path: 'team/u', uid: '1000', gid: '1000', umask: '077' } })).status, 200)
  const mine = await mount('mine')
  t.equal((await bash(`stat -c '%u:%g %a' ${mine}`)).stdout.toString(), '1000:1000 700\n', 'the namespace the driver made shows the volume\'s owner and umask')

  t.equal((await call('VolumeDriver.Create', { Name: 'news', Opts: { path: 'shared', 'read-only': 'true' } })).status, 200)
  const news = await mount('news')
  t.equal((await bash(`cat ${news}/news`)).stdout.toString(), 'hello\n', 'readable')
  t.match((await bash(`echo x >> ${news}/news`)).stderr, /Read-only file system/)
  const inUse = await call('VolumeDriver.Remove', { Name: 'news' })
  t.equal(inUse.status, 500)
  t.match(inUse.body.Err, /volume news is in use by 1 container/)
  t.ok(await isMounted(news), 'and stays mounted')
})

t.test('bad requests get a clear Err and change nothing', async t => {
  const { server, socket, stateDir, call } = await driverFor(t)
  t.equal((await call('VolumeDriver.Create', { Name: 'kept' })).status, 200)
  const before = await fs.readFile(path.join(stateDir, 'volumes.json'), 'utf8')

  const refusals: Array<[string, unknown, RegExp, string?]> = [
    ['VolumeDriver.Create', undefined, /malformed JSON/, '{"Name": '],
    ['VolumeDriver.Create', undefined, /must be a JSON object/, '["Name"]'],
    ['VolumeDriver.Create', { Name: 'x', Opts: { path: '../../etc' } }, /option path: .*cannot be a root/],
    ['VolumeDriver.Create', { Name: 'x', Opts: { uid: 1000 } }, /option uid: expected a string/],
    ['VolumeDriver.Create', { Name: 'x', Opts: { redis: 'redis://elsewhere:6379' } }, /unknown option "redis"/],
    ['VolumeDriver.Create', { Name: '../x' }, /invalid volume name/],
    ['VolumeDriver.Create', { Opts: {} }, /invalid volume name undefined/],
    ['VolumeDriver.Mount', { Name: 'absent', ID: 'c1' }, /no such volume: absent/],
    ['VolumeDriver.Mount', { Name: 'kept' }, /names no mount ID/],
    ['VolumeDriver.Remove', { Name: 'absent' }, /no such volume: absent/],
    ['VolumeDriver.Get', { Name: 'absent' }, /no such volume: absent/],
    ['VolumeDriver.Update', { Name: 'kept' }, /unknown endpoint \/VolumeDriver.Update/]
  ]
  for (const [endpoint, body, message, raw] of refusals) {
    const reply = await pluginCall(socket, endpoint, body, raw)
    t.ok(reply.status >= 400, `${endpoint} ${raw ?? JSON.stringify(body)}: status ${reply.status}`)
    t.match(reply.body.Err, message)
  }
  t.equal(await fs.readFile(path.join(stateDir, 'volumes.json'), 'utf8'), before, 'the state is as before')
  t.match((await call('VolumeDriver.List')).body, { Volumes: [{ Name: 'kept', Status: { path: 'kept', options: '', containers: 0, served: false, createdAt: String } }] })
  const gotten = await pluginCall(socket, 'VolumeDriver.List', undefined, '', 'GET')
  t.same(gotten, { status: 405, body: { Err: 'GET is not POST' } }, 'a GET is refused')

  const second = await bash(`${process.execPath} ${path.join(__dirname, '../../src/cli.js')} volume-driver --socket ${socket} --state-dir ${stateDir} --redis ${server.url}`)
  t.equal(second.code, 1)
  t.match(second.stderr, /is served by another process/, 'a second driver on the same socket is refused')
  t.equal((await call('Plugin.Activate')).status, 200, 'and the first one goes on')
})

t.test('the socket is root\'s alone unless a group is named; a user not allowed cannot connect', async t => {
  const server = await redisFor(t)
  const work = tmp.dirSync({ unsafeCleanup: true, mode: 0o755, prefix: 'dnpipes-volumes-' }).name
  const probe = path.join(work, 'probe.js')
  await fs.writeFile(probe, `const request = require('http').request({ socketPath: process.argv[2], path: '/Plugin.Activate', method: 'POST' }, response => {
  let body = ''
  response.on('data', chunk => { body += chunk })
  response.on('end', () => console.log(body))
})
request.on('error', err => console.log(err.code))
request.end('{}')
`, { mode: 0o644 })
  const asNobody = async (socket: string): Promise<string> =>
    (await bash(`su -s /bin/sh nobody -c '${process.execPath} ${probe} ${socket}'`)).stdout.toString().trim()
  const rootOnly = path.join(work, 'root', 'dnpipes.sock')
  const grouped = path.join(work, 'group', 'dnpipes.sock')
  const first = await startDriver(rootOnly, ['--state-dir', path.join(work, 'state-a'), '--redis', server.url])
  t.teardown(() => first.stop())
  const second = await startDriver(grouped, ['--state-dir', path.join(work, 'state-b'), '--redis', server.url, '--socket-group', 'nogroup'])
  t.teardown(() => second.stop())
  t.equal(await asNobody(rootOnly), 'EACCES', 'nobody cannot talk to a socket of root\'s alone')
  t.equal(await asNobody(grouped), '{"Implements":["VolumeDriver"]}', 'a member of the named group can')
  t.same((await pluginCall(rootOnly, 'Plugin.Activate')).body, { Implements: ['VolumeDriver'] }, 'root can')
})

t.test('Redis unreachable at Mount: the server\'s reason as Err, and no container counted', async t => {
  const { server, stateDir, call } = await driverFor(t)
  t.equal((await call('VolumeDriver.Create', { Name: 'jobs' })).status, 200)
  await server.stop()
  const refused = await call('VolumeDriver.Mount', { Name: 'jobs', ID: 'c1' })
  t.equal(refused.status, 500)
  t.match(refused.body.Err, /the mount of volume jobs exited \(1\): .*cannot use Redis at redis:\/\/127\.0\.0\.1:\d+/)
  t.match((await call('VolumeDriver.Get', { Name: 'jobs' })).body, { Volume: { Status: { containers: 0, served: false } } })
  t.notOk(await isMounted(path.join(stateDir, 'mounts', 'jobs')), 'nothing is left mounted')
})
