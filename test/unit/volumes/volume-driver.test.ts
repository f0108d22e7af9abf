import { spawnSync } from 'node:child_process'
import { existsSync, promises as fs, readFileSync } from 'node:fs'
import path from 'node:path'
import t, { Test } from 'tap'
import tmp from 'tmp'
import { isMounted } from '../../../src/mount/lifecycle'
import { RequestBody, VolumeDriver } from '../../../src/volumes/volume-driver'
import { ServerCommand, VolumeMounts } from '../../../src/volumes/volume-mounts'
import { VolumeRecord, VolumeState } from '../../../src/volumes/volume-state'

// VolumeDriver's plugin requests on a real state directory, its volumes served by stand-ins (a failing command, a tmpfs as root).

interface Driver {
  driver: VolumeDriver
  state: VolumeState
  mounts: VolumeMounts
  /** The records the driver asked a server command for, in order. */
  started: VolumeRecord[]
  call: (endpoint: string, body?: RequestBody) => Promise<Record<string, unknown>>
  /** The state as a later driver would read it from the directory. */
  saved: () => Promise<VolumeRecord[]>
}

/** A driver on a state directory of its own whose volumes are served by `command`; `records` are there before it. */
async function driverFor (command: ServerCommand, records: VolumeRecord[] = []): Promise<Driver> {
  const dir = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-volume-driver-' }).name
  const state = await VolumeState.open(path.join(dir, 'state'))
  for (const record of records) await state.put(record)
  const mounts = new VolumeMounts(path.join(dir, 'volumes'))
  const started: VolumeRecord[] = []
  const driver = new VolumeDriver(state, mounts, record => {
    started.push(record)
    return command
  })
  return {
    driver,
    state,
    mounts,
    started,
    call: async (endpoint, body = {}) => await driver.handle(endpoint, body),
    saved: async () => (await VolumeState.open(state.dir)).all()
  }
}

/** A server that fails at once, as `dnpipes mount` does when Redis is down. */
const failing: ServerCommand = () => ({ file: 'sh', args: ['-c', 'echo "dnpipes: cannot use Redis at redis://127.0.0.1:1" >&2; exit 1'], env: process.env })

const record = (name: string, users: string[] = []): VolumeRecord => ({ name, path: name, mountArgs: [], createdAt: '2026-12-07T00:00:00.000Z', users })

/** Whether this process may mount a tmpfs (root, outside a locked-down container). */
function canMountTmpfs (): boolean {
  const dir = tmp.dirSync({ unsafeCleanup: true }).name
  if (spawnSync('mount', ['-t', 'tmpfs', 'dnpipes-probe', dir]).status !== 0) return false
  spawnSync('umount', [dir])
  return true
}
const tmpfs = canMountTmpfs() ? false : 'mounting a tmpfs needs root'

/**
 * A stand-in for `dnpipes mount`: mounts a tmpfs on its mountpoint, records its pid, and runs
 * until the mount is gone. What is left of its mounts and processes goes when the test ends.
 */
function tmpfsServer (t: Test, dir: string): { command: ServerCommand, pids: () => number[] } {
  const pidFile = path.join(dir, 'server.pids')
  const pids = (): number[] => existsSync(pidFile) ? readFileSync(pidFile, 'utf8').split('\n').filter(Boolean).map(Number) : []
  const mountpoints = new Set<string>()
  t.teardown(async () => {
    for (const pid of pids()) { try { process.kill(pid, 'SIGKILL') } catch {} }
    for (const mountpoint of mountpoints) while (await isMounted(mountpoint)) spawnSync('umount', ['-l', mountpoint])
  })
  const script = `echo $$ >> '${pidFile}'; mount -t tmpfs dnpipes-volume "$0" || exit 1; ` +
    'i=0; while grep -q " $0 " /proc/self/mounts && [ $i -lt 600 ]; do i=$((i+1)); sleep 0.05; done'
  return {
    command: mountpoint => {
      mountpoints.add(mountpoint)
      return { file: 'sh', args: ['-c', script, mountpoint], env: process.env }
    },
    pids
  }
}

t.test('Plugin.Activate and Capabilities: a volume driver of global scope; an unknown endpoint is refused', async t => {
  const { call } = await driverFor(failing)
  t.same(await call('Plugin.Activate'), { Implements: ['VolumeDriver'] })
  t.same(await call('VolumeDriver.Capabilities'), { Capabilities: { Scope: 'global' } })
  await t.rejects(call('VolumeDriver.Update', { Name: 'x' }), { message: 'unknown endpoint /VolumeDriver.Update' })
})

t.test('Create records the volume with its options as mount flags; made again alike is nothing; otherwise refused', async t => {
  const { call, state, saved, started } = await driverFor(failing)
  t.same(await call('VolumeDriver.Create', { Name: 'jobs', Opts: { path: '/team/a/', uid: '1000', 'read-only': 'true' } }), {})
  const made = state.get('jobs')!
  t.match(made, { name: 'jobs', path: 'team/a', mountArgs: ['--uid', '1000', '--read-only'], users: [] })
  t.ok(Math.abs(Date.parse(made.createdAt) - Date.now()) < 60_000, 'with when it was made')
  t.same(await saved(), [made], 'written to the state directory')
  t.same(await call('VolumeDriver.Create', { Name: 'jobs', Opts: { path: 'team/a', uid: '1000', 'read-only': 'true' } }), {}, 'the same again: nothing to do')
  t.equal(state.get('jobs')!.createdAt, made.createdAt, 'the record is kept as it was')
  await t.rejects(call('VolumeDriver.Create', { Name: 'jobs', Opts: { path: 'team/b', uid: '1000', 'read-only': 'true' } }), { message: 'volume jobs exists with other options (path team/a)' })
  await t.rejects(call('VolumeDriver.Create', { Name: 'jobs', Opts: { path: 'team/a', uid: '1000' } }), { message: /^volume jobs exists with other options/ })
  t.same(await call('VolumeDriver.Create', { Name: 'plain' }), {})
  t.match(state.get('plain'), { path: 'plain', mountArgs: [] }, 'without options: its own name as the path')
  t.same(started, [], 'creating starts no server')
})

t.test('bad requests are refused with the reason and change nothing', async t => {
  const { call, saved } = await driverFor(failing, [record('kept')])
  const before = await saved()
  const refusals: Array<[string, RequestBody, RegExp]> = [
    ['VolumeDriver.Create', { Name: '../x' }, /^invalid volume name "\.\.\/x"/],
    ['VolumeDriver.Create', {}, /^invalid volume name undefined/],
    ['VolumeDriver.Create', { Name: 'x', Opts: { redis: 'redis://elsewhere' } }, /^unknown option "redis"; a dnpipes volume takes path, uid/],
    ['VolumeDriver.Create', { Name: 'x', Opts: { path: '../../etc' } }, /^option path: /],
    ['VolumeDriver.Create', { Name: 'x', Opts: ['path'] }, /^Opts must be an object/],
    ['VolumeDriver.Mount', { Name: 'absent', ID: 'c1' }, /^no such volume: absent$/],
    ['VolumeDriver.Mount', { Name: 'kept' }, /^the request names no mount ID \(a string\)$/],
    ['VolumeDriver.Mount', { Name: 'kept', ID: '' }, /names no mount ID/],
    ['VolumeDriver.Mount', { Name: 'kept', ID: 7 }, /names no mount ID/],
    ['VolumeDriver.Unmount', { Name: 'kept' }, /names no mount ID/],
    ['VolumeDriver.Unmount', { Name: 'absent', ID: 'c1' }, /^no such volume: absent$/],
    ['VolumeDriver.Path', { Name: 'absent' }, /^no such volume: absent$/],
    ['VolumeDriver.Get', { Name: 'absent' }, /^no such volume: absent$/],
    ['VolumeDriver.Remove', { Name: 'absent' }, /^no such volume: absent$/],
    ['VolumeDriver.Remove', { Name: '' }, /^invalid volume name ""/]
  ]
  for (const [endpoint, body, message] of refusals) {
    await t.rejects(call(endpoint, body), { message }, `${endpoint} ${JSON.stringify(body)}`)
  }
  t.same(await saved(), before, 'the state is as it was')
})

t.test('Get and List tell each volume\'s path, options and users; no Mountpoint while it is not served', async t => {
  const { call } = await driverFor(failing, [
    { name: 'b', path: 'team/b', mountArgs: ['--uid', '1000', '--read-only'], createdAt: '2026-12-01T00:00:00.000Z', users: ['c1', 'c2'] },
    record('a')
  ])
  t.same(await call('VolumeDriver.Get', { Name: 'b' }), {
    Volume: { Name: 'b', Status: { path: 'team/b', options: '--uid 1000 --read-only', containers: 2, served: false, createdAt: '2026-12-01T00:00:00.000Z' } }
  })
  const listed = await call('VolumeDriver.List') as { Volumes: Array<{ Name: string, Mountpoint?: string }> }
  t.same(listed.Volumes.map(volume => volume.Name), ['a', 'b'], 'listed by name')
  t.notOk(listed.Volumes.some(volume => 'Mountpoint' in volume))
})

t.test('Path: empty while no container uses the volume, and nothing is started for it', async t => {
  const { call, started } = await driverFor(failing, [record('idle')])
  t.same(await call('VolumeDriver.Path', { Name: 'idle' }), { Mountpoint: '' })
  t.same(started, [])
})

t.test('a server that cannot start: Mount fails with its reason and counts no container; Path says why too', async t => {
  const { call, state, saved, started } = await driverFor(failing, [record('jobs'), record('used', ['c1'])])
  await t.rejects(call('VolumeDriver.Mount', { Name: 'jobs', ID: 'c1' }), { message: 'the mount of volume jobs exited (1): dnpipes: cannot use Redis at redis://127.0.0.1:1' })
  t.same(state.get('jobs')!.users, [], 'no container counted')
  t.same((await saved()).find(volume => volume.name === 'jobs')!.users, [])
  t.same(started.map(volume => volume.name), ['jobs'], 'the server command of that volume')
  await t.rejects(call('VolumeDriver.Path', { Name: 'used' }), { message: /^the mount of volume used exited \(1\)/ }, 'a used volume whose server is gone is started again by Path')
})

t.test('Unmount: a container forgotten once; one that never mounted changes nothing', async t => {
  const { call, state, saved } = await driverFor(failing, [record('jobs', ['c1', 'c2'])])
  const stateFile = (): Promise<string> => fs.readFile(path.join(state.dir, 'volumes.json'), 'utf8')
  t.same(await call('VolumeDriver.Unmount', { Name: 'jobs', ID: 'c1' }), {})
  t.same((await saved())[0]!.users, ['c2'])
  const before = await stateFile()
  t.same(await call('VolumeDriver.Unmount', { Name: 'jobs', ID: 'c1' }), {}, 'an Unmount sent twice is no error')
  t.same(await call('VolumeDriver.Unmount', { Name: 'jobs', ID: 'never' }), {})
  t.equal(await stateFile(), before, 'and writes nothing')
  t.same(await call('VolumeDriver.Unmount', { Name: 'jobs', ID: 'c2' }), {})
  t.same((await saved())[0]!.users, [], 'the last one gone')
})

t.test('Remove: refused while containers use the volume; then forgets it, its mountpoint and its log', async t => {
  const { call, state, mounts, saved } = await driverFor(failing, [record('jobs', ['c1']), record('other')])
  await fs.mkdir(mounts.mountpoint('jobs'), { recursive: true })
  await fs.mkdir(path.dirname(mounts.logFile('jobs')), { recursive: true })
  await fs.writeFile(mounts.logFile('jobs'), 'an old start\n')
  await t.rejects(call('VolumeDriver.Remove', { Name: 'jobs' }), { message: 'volume jobs is in use by 1 container(s)' })
  t.ok(state.get('jobs'))
  t.ok(existsSync(mounts.mountpoint('jobs')))
  await call('VolumeDriver.Unmount', { Name: 'jobs', ID: 'c1' })
  t.same(await call('VolumeDriver.Remove', { Name: 'jobs' }), {})
  t.notOk(state.get('jobs'))
  t.same((await saved()).map(volume => volume.name), ['other'], 'the others kept')
  t.notOk(existsSync(mounts.mountpoint('jobs')))
  t.notOk(existsSync(mounts.logFile('jobs')))
})

t.test('Mount serves a volume once for all its containers, counting each once; the last Unmount stops it', { skip: tmpfs }, async t => {
  const server = tmpfsServer(t, tmp.dirSync({ unsafeCleanup: true }).name)
  const serving = await driverFor(server.command, [record('jobs')])
  const mountpoint = serving.mounts.mountpoint('jobs')
  // Two containers at once: the requests are taken one at a time, so both are counted and one server starts.
  const replies = await Promise.all([serving.call('VolumeDriver.Mount', { Name: 'jobs', ID: 'c1' }), serving.call('VolumeDriver.Mount', { Name: 'jobs', ID: 'c2' })])
  t.same(replies, [{ Mountpoint: mountpoint }, { Mountpoint: mountpoint }])
  t.same((await serving.saved())[0]!.users, ['c1', 'c2'])
  t.equal(server.pids().length, 1, 'one server')
  t.same(await serving.call('VolumeDriver.Mount', { Name: 'jobs', ID: 'c2' }), { Mountpoint: mountpoint }, 'a Mount sent twice')
  t.same((await serving.saved())[0]!.users, ['c1', 'c2'], 'counts once')
  t.match(await serving.call('VolumeDriver.Get', { Name: 'jobs' }), { Volume: { Name: 'jobs', Mountpoint: mountpoint, Status: { containers: 2, served: true } } })
  t.same(await serving.call('VolumeDriver.Path', { Name: 'jobs' }), { Mountpoint: mountpoint })
  await t.rejects(serving.call('VolumeDriver.Remove', { Name: 'jobs' }), { message: 'volume jobs is in use by 2 container(s)' })

  await serving.call('VolumeDriver.Unmount', { Name: 'jobs', ID: 'c1' })
  t.ok(await isMounted(mountpoint), 'still served for c2')
  await serving.call('VolumeDriver.Unmount', { Name: 'jobs', ID: 'c2' })
  t.notOk(await isMounted(mountpoint), 'the last container gone, the mount ends')
  t.same(await serving.call('VolumeDriver.Path', { Name: 'jobs' }), { Mountpoint: '' })
  t.same(await serving.call('VolumeDriver.Remove', { Name: 'jobs' }), {})
  t.same(serving.started.map(volume => volume.name), ['jobs', 'jobs', 'jobs', 'jobs'], 'a server command asked for by each Mount and by Path while used')
})
