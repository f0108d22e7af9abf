import { promises as fs } from 'node:fs'
import t from 'tap'
import tmp from 'tmp'
import { sh } from '../../scripts/support/processes'
import { mountFor, redisFor } from '../helpers/fixture'
import { podmanSkip as skip, podmanWithBusybox } from '../helpers/podman'

// A real container (podman with runc, as Debian ships them) running its application as uid
// 1000 with the mount as a volume: it pushes where the stored owner and mode let it, and gets
// EACCES where they do not. The image is busybox alone, imported from a directory: no registry.

const IMAGE = 'localhost/dnpipes-test-busybox:1'

t.test('a non-root application container pushes through a volume of the mount where the modes let it', { skip }, async t => {
  const work = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-podman-' }).name
  t.teardown(() => fs.rm(work, { recursive: true, force: true }))
  const { podman } = await podmanWithBusybox(t, work, IMAGE, ['sh', 'cat', 'echo', 'id', 'mkdir', 'stat'])

  const server = await redisFor(t)
  const mounted = await mountFor(t, server, { args: ['--allow-other'] })
  const container = (user: string, script: string) => podman(['run', '--rm',
    '--network', 'none', '--ulimit', 'host', '--user', user, '-v', `${mounted.dir}:/pipes`, IMAGE, 'sh', '-c', script])

  // Made by root on the host; one directory given to the application's user, as for any volume.
  await sh(`mkdir ${mounted.dir}/app ${mounted.dir}/root-only && echo from-host >> ${mounted.dir}/app/events && chown -R 1000:1000 ${mounted.dir}/app`)
  const app = await container('1000:1000', `id -u; cat /pipes/app/events; echo from-app >> /pipes/app/events &&
    mkdir /pipes/app/out && echo done > /pipes/app/out/status && stat -c '%u:%g %a' /pipes/app/out /pipes/app/out/status`)
  t.equal(app.code, 0, app.stderr)
  t.equal(app.stdout.toString(), '1000\nfrom-host\n1000:1000 755\n1000:1000 644\n', 'uid 1000 reads, pushes, and owns what it makes')
  t.equal((await sh(`cat ${mounted.dir}/app/events ${mounted.dir}/app/out/status; stat -c '%u:%g' ${mounted.dir}/app/out/status`)).stdout.toString(),
    'from-host\nfrom-app\ndone\n1000:1000\n', 'the host sees its messages and its ownership')

  const denied = await container('1000:1000', 'echo x >> /pipes/root-only/events; echo x >> /pipes/loose')
  t.equal(denied.code, 1)
  t.match(denied.stderr, /can't create \/pipes\/root-only\/events: Permission denied/, 'a directory of root\'s, mode 755: EACCES')
  t.match(denied.stderr, /can't create \/pipes\/loose: Permission denied/, 'the root directory too')
  const other = await container('1001:1001', 'cat /pipes/app/events; echo intruder >> /pipes/app/events')
  t.equal(other.stdout.toString(), 'from-host\nfrom-app\n', 'another uid reads')
  t.match(other.stderr, /can't create \/pipes\/app\/events: Permission denied/, 'and may not push')
  t.equal((await sh(`ls ${mounted.dir}/root-only; cat ${mounted.dir}/app/events`)).stdout.toString(), 'from-host\nfrom-app\n', 'nothing refused was made or pushed')
})
