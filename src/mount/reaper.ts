import { promises as fs } from 'node:fs'
import path from 'node:path'

/**
 * Frees blocked readers that were killed. A process blocked in a FUSE read stays in the kernel
 * (state D) after SIGINT, SIGTERM or even SIGKILL until the daemon answers; once a fatal signal
 * arrived, its /proc/PID/status shows SIGKILL (bit 0x100) pending. A read whose thread the mount
 * knows (the request's caller, see caller.ts) is checked by that thread's status alone. Without
 * it, dying processes are matched to blocked reads by the file they hold and its position
 * (/proc/PID/fdinfo "pos:"), which means reading the status of every process on the host.
 */

export interface BlockedRead {
  id: number
  /** Path of the open file relative to the mount root, without a leading slash. */
  path: string
  offset: number
  /** The thread that made the read, when known. */
  tid?: number
}

/** The blocked reads whose own thread is dying in the kernel. */
export async function readsOfDyingThreads (blocked: BlockedRead[]): Promise<number[]> {
  const dying = await Promise.all(blocked.map(async read => {
    const status = await fs.readFile(`/proc/${read.tid}/status`, 'utf8').catch(() => '')
    return isDyingInKernel(status)
  }))
  return blocked.filter((_, i) => dying[i]).map(read => read.id)
}

export interface DyingHolder {
  path: string
  pos: number
}

const SIGKILL_BIT = 0x100n

function key (path: string, position: number): string {
  return `${position}\0${path}`
}

/**
 * Which blocked reads to answer. Reads and dying holders are grouped by (file, position); a group
 * is released only when it has at least as many dying holders as blocked reads, so a live reader
 * of the same file at the same position is never cut off (the dying one then waits for the next
 * message instead).
 */
export function readsToRelease (blocked: BlockedRead[], dying: DyingHolder[]): number[] {
  const dyingCount = new Map<string, number>()
  for (const holder of dying) dyingCount.set(key(holder.path, holder.pos), (dyingCount.get(key(holder.path, holder.pos)) ?? 0) + 1)
  const groups = new Map<string, number[]>()
  for (const read of blocked) {
    const k = key(read.path, read.offset)
    groups.set(k, [...(groups.get(k) ?? []), read.id])
  }
  const released: number[] = []
  for (const [k, ids] of groups) if ((dyingCount.get(k) ?? 0) >= ids.length) released.push(...ids)
  return released
}

/** Whether a /proc/PID/status text shows a process in state D with a fatal signal pending. */
export function isDyingInKernel (status: string): boolean {
  if (!/^State:\s+D/m.test(status)) return false
  for (const field of ['SigPnd', 'ShdPnd']) {
    const hex = new RegExp(`^${field}:\\s+([0-9a-f]+)`, 'm').exec(status)?.[1]
    if (hex && (BigInt('0x' + hex) & SIGKILL_BIT) !== 0n) return true
  }
  return false
}

/** Open files under `mountpoint` held by processes that are dying while blocked in the kernel. */
export async function findDyingHolders (mountpoint: string): Promise<DyingHolder[]> {
  const prefix = mountpoint.endsWith('/') ? mountpoint : mountpoint + '/'
  const pids = (await fs.readdir('/proc')).filter(name => /^\d+$/.test(name) && Number(name) !== process.pid)
  const holders: DyingHolder[] = []
  await Promise.all(pids.map(async pid => {
    const status = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
    if (!isDyingInKernel(status)) return
    const fds = await fs.readdir(`/proc/${pid}/fd`).catch(() => [] as string[])
    for (const fd of fds) {
      const target = await fs.readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')
      if (!target.startsWith(prefix)) continue
      const info = await fs.readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8').catch(() => '')
      const pos = /^pos:\s+(\d+)/m.exec(info)?.[1]
      if (pos !== undefined) holders.push({ path: path.relative(mountpoint, target), pos: Number(pos) })
    }
  }))
  return holders
}
