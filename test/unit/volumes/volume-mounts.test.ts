import { spawnSync } from 'node:child_process'
import { existsSync, promises as fs, readFileSync } from 'node:fs'
import path from 'node:path'
import t, { Test } from 'tap'
import tmp from 'tmp'
import { isMounted } from '../../../src/mount/lifecycle'
import { ServerCommand, VolumeMounts } from '../../../src/volumes/volume-mounts'
import { waitFor } from '../../../scripts/support/redis-server'

// VolumeMounts without FUSE: paths, a failing server's message, and serve/stop/remove with a tmpfs standing in (as root).

/** A state directory for the test. */
const stateDir = (): string => tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-volume-mounts-' }).name

/** A server that runs `script` with sh ($0: the mountpoint). */
const shell = (script: string): ServerCommand => mountpoint => ({ file: 'sh', args: ['-c', script, mountpoint], env: process.env })

/** Whether this process may mount a tmpfs (root, outside a locked-down container). */
function canMountTmpfs (): boolean {
  const dir = tmp.dirSync({ unsafeCleanup: true }).name
  if (spawnSync('mount', ['-t', 'tmpfs', 'dnpipes-probe', dir]).status !== 0) return false
  spawnSync('umount', [dir])
  return true
}
const tmpfs = canMountTmpfs() ? false : 'mounting a tmpfs needs root'

/**
 * A stand-in for `dnpipes mount`: mounts a tmpfs on its mountpoint, records its pid in `pids`,
 * and runs until the mount is gone (as a server ends when unmounted). Whatever is left of its
 * mounts and processes is removed when the test ends.
 */
function tmpfsServer (t: Test, mounts: VolumeMounts, name: string): { command: ServerCommand, pids: () => number[] } {
  const pidFile = path.join(mounts.dir, `${name}.pids`)
  const pids = (): number[] => existsSync(pidFile) ? readFileSync(pidFile, 'utf8').split('\n').filter(Boolean).map(Number) : []
  t.teardown(async () => {
    for (const pid of pids()) { try { process.kill(pid, 'SIGKILL') } catch {} }
    while (await isMounted(mounts.mountpoint(name))) spawnSync('umount', ['-l', mounts.mountpoint(name)])
  })
  const script = `echo $$ >> '${pidFile}'; echo serving "$0"; mount -t tmpfs dnpipes-volume "$0" || exit 1; ` +
    // Ends when its mount goes, and after 30 s at most should a failing test leave it.
    'i=0; while grep -q " $0 " /proc/self/mounts && [ $i -lt 600 ]; do i=$((i+1)); sleep 0.05; done'
  return { command: shell(script), pids }
}

/** Whether the process `pid` has exited (or never was). */
function gone (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return false
  } catch {
    return true
  }
}

t.test('a volume\'s mountpoint and log are named after it, under the state directory', async t => {
  const mounts = new VolumeMounts('/var/lib/dnpipes-volumes')
  t.equal(mounts.mountpoint('jobs'), '/var/lib/dnpipes-volumes/mounts/jobs')
  t.equal(mounts.logFile('jobs'), '/var/lib/dnpipes-volumes/logs/jobs.log')
})

t.test('nothing mounted: not served, nothing to stop, and remove forgets the directory and the log', async t => {
  const mounts = new VolumeMounts(stateDir())
  t.equal(await mounts.served('absent'), false, 'no directory at all')
  await fs.mkdir(mounts.mountpoint('idle'), { recursive: true })
  t.equal(await mounts.served('idle'), false, 'a directory with nothing mounted on it')
  await mounts.stop('idle')
  t.ok(existsSync(mounts.mountpoint('idle')), 'stop leaves the directory')
  await fs.mkdir(path.dirname(mounts.logFile('idle')), { recursive: true })
  await fs.writeFile(mounts.logFile('idle'), 'old log\n')
  await mounts.remove('idle')
  t.notOk(existsSync(mounts.mountpoint('idle')))
  t.notOk(existsSync(mounts.logFile('idle')))
  await mounts.remove('idle')
  t.pass('removing what is not there is no error')
})

t.test('remove is never recursive: a mountpoint with files in it is refused and kept', async t => {
  const mounts = new VolumeMounts(stateDir())
  await fs.mkdir(mounts.mountpoint('full'), { recursive: true })
  await fs.writeFile(path.join(mounts.mountpoint('full'), 'topic'), 'x')
  await t.rejects(mounts.remove('full'), { code: 'ENOTEMPTY' })
  t.equal(readFileSync(path.join(mounts.mountpoint('full'), 'topic'), 'utf8'), 'x')
})

t.test('a server that exits before serving: its status and the last lines of its log, kept for its owner', async t => {
  const mounts = new VolumeMounts(stateDir())
  const failing = shell('for i in 1 2 3 4 5 6 7; do echo "line $i"; done; echo "cannot use Redis" >&2; exit 3')
  await t.rejects(mounts.serve('jobs', failing), { message: 'the mount of volume jobs exited (3): line 4 / line 5 / line 6 / line 7 / cannot use Redis' })
  t.ok((await fs.stat(mounts.mountpoint('jobs'))).isDirectory(), 'the mountpoint was made')
  t.equal((await fs.stat(path.dirname(mounts.logFile('jobs')))).mode & 0o777, 0o700)
  t.equal((await fs.stat(mounts.logFile('jobs'))).mode & 0o777, 0o600, 'the log is its owner\'s alone (it may name the Redis)')
  await t.rejects(mounts.serve('jobs', shell('echo second try; exit 1')), { message: /exited \(1\): .*line 7 \/ cannot use Redis \/ second try$/ })
  t.match(readFileSync(mounts.logFile('jobs'), 'utf8'), /^line 1\n[^]*second try\n$/, 'each start adds to the log')
})

t.test('a server killed, or that cannot be started at all: said so', async t => {
  const mounts = new VolumeMounts(stateDir())
  await t.rejects(mounts.serve('killed', shell('kill -KILL $$')), { message: 'the mount of volume killed exited (SIGKILL): no output' })
  const missing: ServerCommand = () => ({ file: '/nonexistent/dnpipes', args: ['mount'], env: process.env })
  await t.rejects(mounts.serve('missing', missing), { message: /^the mount of volume missing exited \(spawn \/nonexistent\/dnpipes ENOENT\): no output$/ })
})

t.test('serve starts the server and returns once its mount answers; a served volume is not started again', { skip: tmpfs }, async t => {
  const mounts = new VolumeMounts(stateDir())
  const server = tmpfsServer(t, mounts, 'jobs')
  t.equal(await mounts.serve('jobs', server.command), mounts.mountpoint('jobs'))
  t.ok(await isMounted(mounts.mountpoint('jobs')))
  t.equal(await mounts.served('jobs'), true)
  t.equal(server.pids().length, 1)
  t.equal(readFileSync(mounts.logFile('jobs'), 'utf8'), `serving ${mounts.mountpoint('jobs')}\n`, 'its output goes to the log')
  const marker = path.join(mounts.dir, 'started-again')
  t.equal(await mounts.serve('jobs', shell(`touch '${marker}'; exit 9`)), mounts.mountpoint('jobs'))
  t.notOk(existsSync(marker), 'served already: no second server')
  t.equal(server.pids().length, 1)
})

t.test('a mounted volume is not removed; stopped, its server ends and it can be', { skip: tmpfs }, async t => {
  const mounts = new VolumeMounts(stateDir())
  const server = tmpfsServer(t, mounts, 'jobs')
  await mounts.serve('jobs', server.command)
  await fs.writeFile(path.join(mounts.mountpoint('jobs'), 'topic'), 'inside the mount')
  await t.rejects(mounts.remove('jobs'), { message: `${mounts.mountpoint('jobs')} is still mounted` })
  t.equal(readFileSync(path.join(mounts.mountpoint('jobs'), 'topic'), 'utf8'), 'inside the mount', 'nothing removed through the mount')
  await mounts.stop('jobs')
  t.notOk(await isMounted(mounts.mountpoint('jobs')), 'stop unmounts')
  t.equal(await mounts.served('jobs'), false)
  const [pid] = server.pids()
  await waitFor(async () => gone(pid!), 5000, 'the server to end with its mount')
  await mounts.remove('jobs')
  t.notOk(existsSync(mounts.mountpoint('jobs')))
  t.notOk(existsSync(mounts.logFile('jobs')))
})
