import { spawn } from 'node:child_process'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { defaultDataDir } from '../redis/embedded'
import { pollUntil } from '../util/deadline'
import { flagName, MOUNT_OPTIONS, takesValue, TARGET_OPTIONS } from './option-table'

/**
 * The mount.fuse entry: `mount -t fuse.dnpipes SOURCE MOUNTPOINT -o OPTIONS` (or an /etc/fstab
 * line) runs `dnpipes SOURCE MOUNTPOINT -o OPTIONS`, expects the filesystem to be mounted when
 * it returns, and the daemon to keep running. SOURCE is a Redis URL, or `dnpipes` for the
 * embedded server.
 */

export interface FstabInvocation {
  source: string
  mountpoint: string
  /** The equivalent `dnpipes mount` arguments (after the mountpoint). */
  args: string[]
}

/** mount(8) waits for the daemon this long: a mount needs Redis's handshake and the FUSE mount. */
const READY_TIMEOUT_MS = 10_000
/** How often the daemon's log is read for its ready line. */
const READY_POLL_MS = 50

/** Mount options that mean nothing to dnpipes (mount(8), systemd and fuse generics). */
const IGNORED = /^(rw|defaults|auto|noauto|user|users|nouser|nofail|_netdev|dev|nodev|suid|nosuid|exec|noexec|async|sync|atime|noatime|relatime|x-systemd\..*|comment=.*)$/

/** fstab name -> the `dnpipes mount` flag, for every option that has one (see option-table.ts). */
const BY_FSTAB_NAME = new Map([...TARGET_OPTIONS, ...MOUNT_OPTIONS].filter(o => o.fstab).map(o => [o.fstab!, o]))

/** Recognizes `SOURCE MOUNTPOINT [-o OPTIONS]`; undefined when the words are a normal command. */
export function parseFstabArgs (words: string[]): FstabInvocation | undefined {
  const [source, mountpoint, ...rest] = words
  if (!source || !mountpoint || !(source === 'dnpipes' || /^rediss?:\/\//.test(source))) return undefined
  const args: string[] = source === 'dnpipes' ? [] : ['--redis', source]
  const options: string[] = []
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!
    if (word === '-o' && rest[i + 1] !== undefined) options.push(...rest[++i]!.split(','))
    else if (word.startsWith('-o') && word.length > 2) options.push(...word.slice(2).split(','))
    else throw new Error(`unexpected argument "${word}" (expected: SOURCE MOUNTPOINT -o OPTIONS)`)
  }
  for (const option of options) {
    if (option === '' || IGNORED.test(option)) continue
    const eq = option.indexOf('=')
    const descriptor = BY_FSTAB_NAME.get(eq === -1 ? option : option.slice(0, eq))
    if (descriptor && eq === -1 && !takesValue(descriptor)) args.push(flagName(descriptor))
    else if (descriptor && eq !== -1 && takesValue(descriptor)) args.push(flagName(descriptor), option.slice(eq + 1))
    else throw new Error(`unknown mount option "${option}"`)
  }
  return { source, mountpoint, args }
}

/** Starts the daemon in the background with its output in a log file; returns once mounted. */
export async function fstabMount (invocation: FstabInvocation, cliPath: string, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  const logDir = path.join(defaultDataDir(), 'logs')
  await fs.mkdir(logDir, { recursive: true })
  const logPath = path.join(logDir, `mount-${path.resolve(invocation.mountpoint).replace(/\//g, '_')}.log`)
  const log = await fs.open(logPath, 'a')
  const start = (await log.stat()).size
  const daemon = spawn(process.execPath, [cliPath, 'mount', invocation.mountpoint, ...invocation.args], {
    detached: true, stdio: ['ignore', log.fd, log.fd]
  })
  let exited: number | null = null
  daemon.on('exit', code => { exited = code ?? 1 })
  daemon.unref()
  await log.close()
  const ready = await pollUntil(async () => {
    const text = (await fs.readFile(logPath)).subarray(start).toString()
    if (text.includes('dnpipes: mounted')) return true
    if (exited !== null) throw new Error(text.trim().split('\n').pop() ?? `the daemon exited with ${exited}`)
    return false
  }, { timeoutMs, intervalMs: READY_POLL_MS })
  if (ready) return
  throw new Error(`the mount did not become ready within ${timeoutMs} ms; see ${logPath}`)
}
