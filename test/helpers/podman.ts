import { spawnSync } from 'node:child_process'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import type { Test } from 'tap'
import { run, sh } from '../../scripts/support/processes'

/**
 * Decided before a test is declared, so that a machine without podman shows a skip (the test
 * process serves no mount: a synchronous probe is safe). `npm run setup` installs podman.
 */
export const podmanSkip = spawnSync('podman', ['--version']).status === 0 && spawnSync('test', ['-x', '/bin/busybox']).status === 0
  ? false
  : 'podman or busybox-static is not installed (npm run setup installs them)'

/** What a test's podman commands run with: its containers.conf (CONTAINERS_CONF). */
export interface Podman {
  env: NodeJS.ProcessEnv
  image: string
  /** `podman ARGS` with runc, as Debian ships it. */
  podman: (args: string[], timeoutMs?: number) => ReturnType<typeof run>
}

/**
 * An image of busybox alone, imported from a directory (no registry), and a containers.conf in
 * `work` with `extraConf` appended. The default ulimits need CAP_SYS_RESOURCE, which root lacks
 * on these machines; crun fails on their hybrid cgroups (see ../shared/FACTS.md): runc and
 * cgroupfs. The image is removed when `t` ends.
 */
export async function podmanWithBusybox (t: Test, work: string, image: string, applets: string[], extraConf = ''): Promise<Podman> {
  const conf = path.join(work, 'containers.conf')
  await fs.writeFile(conf, '[containers]\ndefault_ulimits = []\n' + extraConf)
  const env = { ...process.env, CONTAINERS_CONF: conf }
  const imported = await sh(`mkdir -p ${work}/image/bin && cp /bin/busybox ${work}/image/bin/ &&
    for applet in ${applets.join(' ')}; do ln -s busybox ${work}/image/bin/$applet; done &&
    tar -C ${work}/image -cf ${work}/image.tar . && podman import -q ${work}/image.tar ${image}`, { env })
  t.equal(imported.code, 0, imported.stderr)
  t.teardown(() => run('podman', ['rmi', '-f', image], { env }))
  return {
    env,
    image,
    podman: (args, timeoutMs = 60_000) => run('podman', ['--runtime', 'runc', '--cgroup-manager=cgroupfs', ...args], { env, timeoutMs })
  }
}
