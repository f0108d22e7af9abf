import path from 'node:path'
import tmp from 'tmp'
import { MountedDir, serveMount } from '../support/mount'
import { must } from './steps'

/** From dist/scripts/bench/ to the C source, which is not compiled by tsc. */
const SOURCE = path.resolve(__dirname, '../../../scripts/bench/c-floor/c-floor.c')

let binary: Promise<string> | undefined

/** Builds c-floor.c once per run (gcc and libfuse3-dev, which setup installs). */
function build (): Promise<string> {
  binary ??= (async () => {
    const out = path.join(tmp.dirSync({ prefix: 'dnpipes-c-floor-', unsafeCleanup: true }).name, 'c-floor')
    await must(`gcc -O2 -Wall -Wextra -Werror -o ${out} ${SOURCE} $(pkg-config --cflags --libs fuse3)`)
    return out
  })()
  return binary
}

/**
 * The filesystem in C on libfuse 3 answering from memory, with dnpipes's kernel caching: the
 * physical floor of request-bound work. `allowOther` mounts it as dnpipes mounts with
 * --allow-other (allow_other, default_permissions).
 */
export async function mountCFloor (allowOther = false): Promise<MountedDir> {
  const dir = tmp.dirSync({ prefix: 'dnpipes-c-floor-mnt-' }).name
  const options = ['fsname=c-floor', 'subtype=c-floor', ...(allowOther ? ['allow_other', 'default_permissions'] : [])]
  return serveMount(dir, [await build(), dir, '-o', options.join(',')], 'mounted')
}
