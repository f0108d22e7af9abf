import path from 'node:path'
import tmp from 'tmp'
import { MountedDir, serveMount } from '../support/mount'

/**
 * The in-memory filesystem of scripts/null-fuse.ts, the FUSE layer's own floor; `--allow-other`
 * mounts it as dnpipes mounts with that option (allow_other, default_permissions).
 */
export function mountNullFilesystem (args: string[] = []): Promise<MountedDir> {
  const dir = tmp.dirSync({ prefix: 'dnpipes-null-' }).name
  return serveMount(dir, [process.execPath, path.join(__dirname, '..', 'null-fuse.js'), dir, ...args], 'mounted')
}
