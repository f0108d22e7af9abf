import { promises as fs } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import tmp from 'tmp'
import { isMounted, unmountFilesystem } from '../../src/mount/lifecycle'
import { bash } from '../../scripts/support/processes'
import { mountFor, redisFor } from '../helpers/fixture'
import { podmanSkip as skip, podmanWithBusybox } from '../helpers/podman'
import { startDriver } from '../helpers/volume-plugin'

// dnpipes volumes in real containers: podman (with runc) told of `dnpipes volume-driver` in its
// containers.conf, as a user sets it up; the volumes checked through a mount of the whole store.

const IMAGE = 'localhost/dnpipes-test-volumes:1'

t.test('podman containers push, replay, follow and share work through dnpipes volumes', { skip }, async t => {
  const work = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-podman-volumes-' }).name
  const socket = path.join(work, 'plugins', 'dnpipes.sock')
  const stateDir = path.join(work, 'state')
  const { podman } = await podmanWithBusybox(t, work, IMAGE, ['sh', 'cat', 'echo', 'head', 'id', 'sleep', 'stat'],
    `[engine.volume_plugins]\ndnpipes = "${socket}"\n`)
  const server = await redisFor(t)
  const whole = await mountFor(t, server)
  const driverArgs = ['--state-dir', stateDir, '--redis', server.url]
  let driver = await startDriver(socket, driverArgs)
  t.teardown(async () => {
    for (const volume of ['jobs', 'mine', 'news']) await podman(['volume', 'rm', '-f', volume])
    await driver.stop()
    for (const name of await fs.readdir(path.join(stateDir, 'mounts')).catch(() => [])) {
      const mountpoint = path.join(stateDir, 'mounts', name)
      if (await isMounted(mountpoint)) await unmountFilesystem(mountpoint, true)
    }
  })
  const container = (volume: string, script: string, user = '0:0') => podman(['run', '--rm', '--network', 'none', '--ulimit', 'host',
    '--user', user, '-v', `${volume}:/pipes`, IMAGE, 'sh', '-c', script])

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
  await driver.stop()
  driver = await startDriver(socket, driverArgs)
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
