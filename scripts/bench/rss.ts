import { promises as fs } from 'node:fs'
import { MountedDir } from '../support/mount'

async function peakRssMiB (pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0) / 1024
}

/** The peak RSS of every daemon the run starts, for M1, read just before each one stops. */
export class PeakRss {
  readonly peaks: number[] = []
  /** Each daemon's peak, named by what it served: which one M1's figure is. */
  readonly named: string[] = []

  async note (mounted: MountedDir, name: string): Promise<void> {
    const peak = await peakRssMiB(mounted.daemon.pid!)
    this.peaks.push(peak)
    this.named.push(`${name} ${peak.toFixed(1)} MiB`)
  }

  async stop (mounted: MountedDir, name: string): Promise<void> {
    await this.note(mounted, name)
    await mounted.stop()
  }
}
