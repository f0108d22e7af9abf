import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** A state directory's name: its mount process's pid, then the mountpoint's name. */
const NAME = /^dnpipes-(\d+)-/

/**
 * A directory of its own for one mount's state journal, only its owner's, on tmpfs where the
 * machine has one (the journal is written before every reply, and needs to outlive a server,
 * not the machine). The directories of mount processes that are gone (killed with their
 * server: nobody removed them) are removed first.
 */
export function makeStateDir (mountpoint: string): string {
  const base = isDirectory('/dev/shm') ? '/dev/shm' : os.tmpdir()
  removeOrphans(base)
  return mkdtempSync(path.join(base, `dnpipes-${process.pid}-${path.basename(mountpoint) || 'root'}-`))
}

export function removeStateDir (dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

/** Removes this user's state directories in `base` whose mount process no longer runs. */
function removeOrphans (base: string): void {
  for (const name of readdirSync(base)) {
    const pid = NAME.exec(name)?.[1]
    if (pid === undefined || runs(Number(pid))) continue
    const dir = path.join(base, name)
    try {
      if (statSync(dir).uid === process.getuid?.()) removeStateDir(dir)
    } catch {}
  }
}

function runs (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function isDirectory (dir: string): boolean {
  try {
    return statSync(dir).isDirectory()
  } catch {
    return false
  }
}
