import { promises as fs } from 'node:fs'
import { MountedDir } from '../support/mount'
import { run } from '../support/processes'

/** VmHWM (the peak), VmRSS (now) or RssAnon (its own pages now) of a process, in MiB. */
async function statusMiB (pid: number, field: 'VmHWM' | 'VmRSS' | 'RssAnon'): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8')
  return Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) / 1024
}

/**
 * What a mount holds, in MiB: its server's peak (VmHWM) or present (VmRSS) RSS, plus the pages
 * of its mount process's own (RssAnon; its code and libraries are the same files the server
 * maps). A mount served by one process (the floors) is that process's RSS.
 */
async function rssMiB (pid: number, field: 'VmHWM' | 'VmRSS'): Promise<number> {
  const server = (await run('pgrep', ['-P', String(pid), '-x', 'dnpipes-server'])).stdout.toString().trim()
  if (!/^\d+$/.test(server)) return await statusMiB(pid, field)
  return await statusMiB(Number(server), field) + await statusMiB(pid, 'RssAnon')
}

/** The peak RSS of every mount the run starts (see rssMiB), for M1, read just before each one stops. */
export class PeakRss {
  readonly peaks: number[] = []
  /** Each daemon's peak, named by what it served: which one M1's figure is. */
  readonly named: string[] = []

  async note (mounted: MountedDir, name: string): Promise<void> {
    const peak = await rssMiB(mounted.daemon.pid!, 'VmHWM')
    this.peaks.push(peak)
    this.named.push(`${name} ${peak.toFixed(1)} MiB`)
  }

  /** Prints a daemon's peak and current RSS so far, without counting it for M1. */
  async progress (mounted: MountedDir, name: string): Promise<void> {
    const pid = mounted.daemon.pid!
    console.log(`RSS of ${name}: peak ${(await rssMiB(pid, 'VmHWM')).toFixed(1)} MiB, now ${(await rssMiB(pid, 'VmRSS')).toFixed(1)} MiB`)
  }

  async stop (mounted: MountedDir, name: string): Promise<void> {
    await this.note(mounted, name)
    await mounted.stop()
  }
}
