import { promises as fs } from 'node:fs'
import { MountedDir } from '../support/mount'

async function peakRssMiB (pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0) / 1024
}

/** The peak RSS of every daemon the run starts, for M1, read just before each one stops. */
export class PeakRss {
  readonly peaks: number[] = []

  async note (mounted: MountedDir): Promise<void> {
    this.peaks.push(await peakRssMiB(mounted.daemon.pid!))
  }

  async stop (mounted: MountedDir): Promise<void> {
    await this.note(mounted)
    await mounted.stop()
  }
}
