import { promises as fs } from 'node:fs'
import path from 'node:path'
import t, { Test } from 'tap'
import tmp from 'tmp'
import { daemonPid, isMounted, unmountFilesystem } from '../../src/mount/lifecycle'
import { serverPid } from '../../scripts/support/mount'
import { bash } from '../../scripts/support/processes'
import { waitFor } from '../../scripts/support/redis-server'
import { mountFor, redisFor } from '../helpers/fixture'
import { podmanSkip as skip, podmanWithBusybox } from '../helpers/podman'
import { startDriver } from '../helpers/volume-plugin'

// dnpipes volumes in real containers: podman (with runc) told of `dnpipes volume-driver` in its
// containers.conf, as a user sets it up; the volumes checked through a mount of the whole store.

const IMAGE = 'localhost/dnpipes-test-volumes:1'

/**
 * podman told of a volume driver of this test's own, a Redis, and a mount of the whole store to
 * check volumes through; all of it gone when the test ends, with the volumes named `volumes`.
 */
async function setUp (t: Test, volumes: string[]) {
  const work = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-podman-volumes-' }).name
  const socket = path.join(work, 'plugins', 'dnpipes.sock')
  const stateDir = path.join(work, 'state')
  const { podman } = await podmanWithBusybox(t, work, IMAGE, ['sh', 'cat', 'echo', 'head', 'id', 'sleep', 'stat'],
    `[engine.volume_plugins]\ndnpipes = "${socket}"\n`)
  const server = await redisFor(t)
  const whole = await mountFor(t, server)
  const driverArgs = ['--state-dir', stateDir, '--redis', server.url]
  const container = (volume: string, script: string, user = '0:0') => podman(['run', '--rm', '--network', 'none', '--ulimit', 'host',
    '--user', user, '-v', `${volume}:/pipes`, IMAGE, 'sh', '-c', script])
  // One object: a test that restarts the driver sets `driver`, and the teardown stops that one.
  const setup = { podman, whole, socket, stateDir, driverArgs, container, driver: await startDriver(socket, driverArgs) }
  t.teardown(async () => {
    for (const volume of volumes) await podman(['volume', 'rm', '-f', volume])
    await setup.driver.stop()
    for (const name of await fs.readdir(path.join(stateDir, 'mounts')).catch(() => [])) {
      const mountpoint = path.join(stateDir, 'mounts', name)
      if (await isMounted(mountpoint)) await unmountFilesystem(mountpoint, true)
    }
  })
  return setup
}

t.test('podman containers push, replay, follow and share work through dnpipes volumes', { skip }, async t => {
  const setup = await setUp(t, ['jobs', 'mine', 'news'])
  const { podman, whole, container, socket, driverArgs } = setup

  const created = await podman(['volume', 'create', '--driver', 'dnpipes', '-o', 'path=team/q', 'jobs'])
  t.equal(created.code, 0, created.stderr)
  t.match((await podman(['volume', 'ls', '--format', '{{.Name}} {{.Driver}}'])).stdout.toString(), /^jobs dnpipes$/m, 'listed')
  t.match((await podman(['volume', 'inspect', 'jobs'])).stdout.toString(), /"Driver": "dnpipes"/, 'inspected')

  const writer = await container('jobs', 'echo a1 >> /pipes/events && echo a2 >> /pipes/events')
  t.equal(writer.code, 0, writer.stderr)
  t.equal((await container('jobs', 'cat /pipes/events')).stdout.toString(), 'a1\na2\n', 'another container replays')
  t.equal((await bash(`cat ${whole.dir}/team/q/events`)).stdout.toString(), 'a1\na2\n', 'the namespace team/q of the store')

  const follower = container('jobs', 'head -n 3 /pipes/.follow/events')
  await new Promise(resolve => setTimeout(resolve, 2000))
  await bash(`echo a3 >> ${whole.dir}/team/q/events`)
  t.equal((await follower).stdout.toString(), 'a1\na2\na3\n', 'a .follow/ reader in a container gets another host\'s push')

  const workers = await Promise.all([1, 2].map(() => container('jobs', 'head -n 1 /pipes/.group/w/events')))
  const handed = workers.map(result => result.stdout.toString()).sort()
  t.same(handed, ['a1\n', 'a2\n'], 'two group workers in containers share the messages, each once')

  // A driver restart under a running container: its volume stays served.
  const late = podman(['run', '--rm', '--network', 'none', '--ulimit', 'host', '-v', 'jobs:/pipes', IMAGE, 'sh', '-c', 'sleep 4; echo late >> /pipes/events'])
  await new Promise(resolve => setTimeout(resolve, 1500))
  await setup.driver.stop()
  setup.driver = await startDriver(socket, driverArgs)
  const lateResult = await late
  t.equal(lateResult.code, 0, lateResult.stderr)
  t.equal((await bash(`cat ${whole.dir}/team/q/events`)).stdout.toString(), 'a1\na2\na3\nlate\n', 'pushed through the restart')

  t.equal((await podman(['volume', 'create', '--driver', 'dnpipes', '-o', 'path=team/u', '-o', 'uid=1000', '-o', 'gid=1000', 'mine'])).code, 0)
  const own = await container('mine', 'id -u; echo mine >> /pipes/t && stat -c %u:%g /pipes /pipes/t && cat /pipes/t', '1000:1000')
  t.equal(own.code, 0, own.stderr)
  t.equal(own.stdout.toString(), '1000\n1000:1000\n1000:1000\nmine\n', 'a uid 1000 container owns its volume with uid=1000')

  t.equal((await podman(['volume', 'create', '--driver', 'dnpipes', '-o', 'path=team/q', '-o', 'read-only=true', 'news'])).code, 0)
  const readOnly = await container('news', 'cat /pipes/events; echo x >> /pipes/events')
  t.equal(readOnly.stdout.toString(), 'a1\na2\na3\nlate\n')
  t.match(readOnly.stderr, /Read-only file system/, 'a read-only volume refuses pushes')

  const refused = await podman(['volume', 'create', '--driver', 'dnpipes', '-o', 'path=../../etc', 'bad'])
  t.not(refused.code, 0)
  t.match(refused.stderr, /option path: .*cannot be a root/, 'podman shows the driver\'s reason')

  t.equal((await podman(['volume', 'rm', 'jobs'])).code, 0)
  t.notMatch((await podman(['volume', 'ls', '--format', '{{.Name}}'])).stdout.toString(), /^jobs$/m, 'removed')
  t.equal((await bash(`cat ${whole.dir}/team/q/events`)).stdout.toString(), 'a1\na2\na3\nlate\n', 'its topics stay')
})

t.test('a volume\'s server killed three times under four writer containers, a follower and a group reader: nothing lost, torn or doubled', { skip }, async t => {
  const { podman, whole, container, stateDir } = await setUp(t, ['crash'])
  const created = await podman(['volume', 'create', '--driver', 'dnpipes', '-o', 'path=crash', 'crash'])
  t.equal(created.code, 0, created.stderr)
  const started = await container('crash', 'echo start > /pipes/k')
  t.equal(started.code, 0, started.stderr)
  const mountpoint = path.join(stateDir, 'mounts', 'crash')
  const LINES = 400
  const total = 1 + 4 * LINES
  const follower = container('crash', `head -n ${total} /pipes/.follow/k`)
  const grouped = container('crash', 'head -n 200 /pipes/.group/g/k')
  const writers = [0, 1, 2, 3].map(w => container('crash', `i=0; while [ $i -lt ${LINES} ]; do i=$((i+1)); echo "w${w} $i" || exit 1; sleep 0.01; done >> /pipes/k`))
  let finished = 0
  for (const writer of writers) void writer.then(() => finished++)
  // The volume is mounted while containers use it.
  await waitFor(async () => await daemonPid(mountpoint) !== undefined, 10_000, 'the volume to be mounted')
  const mountPid = (await daemonPid(mountpoint))!
  for (let kill = 0; kill < 3; kill++) {
    await new Promise(resolve => setTimeout(resolve, 1500))
    const pid = await serverPid(mountPid)
    process.kill(pid, 'SIGKILL')
    await waitFor(async () => (await serverPid(mountPid)) !== pid, 10_000, 'the next server')
  }
  t.equal(finished, 0, 'the writers wrote through every kill')
  const written = await Promise.all(writers)
  t.same(written.map(result => result.code), [0, 0, 0, 0], `no writer saw an error ${written.map(result => result.stderr).join('')}`)
  const lines = (await bash(`cat ${whole.dir}/crash/k`)).stdout.toString().split('\n')
  t.equal(lines.pop(), '')
  t.equal(lines.length, total, 'every line once')
  for (let w = 0; w < 4; w++) {
    t.same(lines.filter(line => line.startsWith(`w${w} `)), Array.from({ length: LINES }, (_, i) => `w${w} ${i + 1}`), `writer ${w}: each line once, in order, none torn`)
  }
  t.equal((await follower).stdout.toString(), lines.map(line => line + '\n').join(''), 'the follower container read the topic exactly')
  const taken = (await grouped).stdout.toString().split('\n').filter(line => line !== '')
  t.equal(taken.length, 200)
  t.ok(taken.every(line => lines.includes(line)), 'the group reader got whole lines of the topic')
})
