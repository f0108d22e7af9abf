import { mkdtempSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/**
 * A directory of its own for one mount's state journal, only its owner's, on tmpfs where the
 * machine has one (the journal is written before every reply, and needs to outlive a server,
 * not the machine).
 */
export function makeStateDir (mountpoint: string): string {
  const base = isDirectory('/dev/shm') ? '/dev/shm' : os.tmpdir()
  return mkdtempSync(path.join(base, `dnpipes-${path.basename(mountpoint) || 'root'}-`))
}

export function removeStateDir (dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

function isDirectory (dir: string): boolean {
  try {
    return statSync(dir).isDirectory()
  } catch {
    return false
  }
}
