import { spawnSync } from 'node:child_process'
import t from 'tap'
import tmp from 'tmp'
import { mount } from '../../scripts/support/mount'
import { run, sh } from '../../scripts/support/processes'
import { startRedis } from '../../scripts/support/redis-server'

// The sidecar pattern without Docker: a "container" (a private mount namespace made with
// unshare -m before the filesystem is mounted) sees a later dnpipes mount through a shared
// subtree (bidirectional propagation), and uses it as a plain volume.

// Decided before the test is declared, so that a refusal shows as a skip (this process serves
// no mount: a synchronous probe is safe).
const skip = spawnSync('unshare', ['-m', 'true']).status === 0 ? false : 'this kernel refuses mount namespaces (unshare -m failed)'

t.test('a mount made after the container started appears inside it, both ways', { skip }, async t => {
  const server = await startRedis()
  t.teardown(() => server.stop())
  const root = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-ctr-' }).name
  const volume = `${root}/vol`
  await sh(`mkdir -p ${volume} && mount --bind ${root} ${root} && mount --make-shared ${root}`)
  t.teardown(async () => {
    await run('umount', ['-l', root])
    await run('rm', ['-rf', root])
  })
  // The container starts first, with slave propagation, and waits for the volume's content.
  const container = run('unshare', ['-m', '--propagation', 'slave', 'sh', '-c', `
    i=0
    while [ ! -e ${volume}/ready ]; do sleep 0.05; i=$((i+1)); [ $i -gt 300 ] && exit 3; done
    cat ${volume}/jobs
    echo from-container >> ${volume}/jobs`], { timeoutMs: 30_000 })
  await new Promise(resolve => setTimeout(resolve, 300))
  const mounted = await mount(server.url, { dir: volume })
  t.teardown(() => mounted.stop())
  await sh(`echo from-host >> ${volume}/jobs && touch ${volume}/ready`)
  const result = await container
  t.equal(result.code, 0, result.stderr)
  t.equal(result.stdout.toString(), 'from-host\n', 'the container reads what the host pushed')
  t.equal((await sh(`cat ${volume}/jobs`)).stdout.toString(), 'from-host\nfrom-container\n', 'and the host reads what it pushed')
})

t.test('a non-root application in the container pushes where the stored owner and mode let it (--allow-other, chown)', { skip }, async t => {
  const server = await startRedis()
  t.teardown(() => server.stop())
  const root = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-ctr-' }).name
  const mnt = `${root}/mnt`
  // tmp makes its directories 0700: the application's user must be able to pass through.
  await sh(`chmod 755 ${root} && mkdir -p ${mnt} && mount --bind ${root} ${root} && mount --make-shared ${root}`)
  t.teardown(async () => {
    await run('umount', ['-l', root])
    await run('rm', ['-rf', root])
  })
  const mounted = await mount(server.url, { dir: mnt, args: ['--allow-other'] })
  t.teardown(() => mounted.stop())
  // Made by root on the host, then given to the application's user, as for any volume.
  await sh(`mkdir ${mnt}/app && echo from-host >> ${mnt}/app/events && chown -R 1000:1000 ${mnt}/app`)
  // The application container: its own mount namespace, the mount bound in as its volume
  // /pipes, and the application running as uid 1000, as images usually run it.
  const pipes = `${root}/pipes`
  await sh(`mkdir -p ${pipes}`)
  const app = await run('unshare', ['-m', '--propagation', 'slave', 'sh', '-c', `
    mount --bind ${mnt} ${pipes} &&
    exec setpriv --reuid=1000 --regid=1000 --clear-groups sh -c '
      id -u; cat ${pipes}/app/events; echo from-app >> ${pipes}/app/events && mkdir ${pipes}/app/out && echo done > ${pipes}/app/out/status'`], { timeoutMs: 30_000 })
  t.equal(app.code, 0, app.stderr.toString())
  t.equal(app.stdout.toString(), '1000\nfrom-host\n', 'uid 1000 reads what the host pushed')
  t.equal((await sh(`cat ${mnt}/app/events ${mnt}/app/out/status`)).stdout.toString(), 'from-host\nfrom-app\ndone\n', 'and the host reads what it pushed')

  const other = await run('unshare', ['-m', '--propagation', 'slave', 'sh', '-c', `
    mount --bind ${mnt} ${pipes} &&
    exec setpriv --reuid=1001 --regid=1001 --clear-groups sh -c 'echo intruder >> ${pipes}/app/events'`], { timeoutMs: 30_000 })
  t.match(other.stderr.toString(), /Permission denied/, 'another uid reads only')
  t.equal((await sh(`stat -c '%u:%g %a' ${mnt}/app/out ${mnt}/app/out/status`)).stdout.toString(), '1000:1000 755\n1000:1000 644\n', 'what the application made is its own')
})
