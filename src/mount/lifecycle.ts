import { execFile } from 'node:child_process'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import type { NodeTable } from '../fuse/inodes'
import { mountFuse } from '../fuse/mount'
import type { FuseSession, SessionOptions } from '../fuse/session'
import type { Operations } from '../fuse/operations'
import { mountLog } from '../log'
import { pollUntil, withDeadline } from '../util/deadline'

/** How long `dnpipes unmount` waits for the daemon to unmount before asking the kernel itself. */
const UNMOUNT_TIMEOUT_MS = 5000
const UNMOUNT_POLL_MS = 20
/** A live mount answers stat at once; one that does not within this is stuck. */
const STALE_CHECK_MS = 2000
/** How often the mount table is read to notice an unmount from outside. */
const GONE_POLL_MS = 1000

/**
 * How the kernel caches, and how files are opened. Direct I/O: reads reach the daemon every
 * time and run until it answers 0 bytes, whatever size getattr said. Attributes are not kept
 * (0 s) and "does not exist" answers never are, so sizes and another host's new topics show at
 * once. A name stays tied to its node for a second, which spares a lookup per syscall (`ls -l`
 * makes three per file); every stat still asks the daemon, and an open of a name another host
 * removed answers ESTALE so that the kernel looks it up again (see open()). The FUSE layer also
 * asks for O_TRUNC at open (`echo x > t` is not a truncate) and 1 MiB writes.
 */
const CACHE = { entrySeconds: 1, attrSeconds: 0 }

/** How the FUSE layer serves a dnpipes mount (see CACHE). */
export const LAYER_OPTIONS = { cache: CACHE, directIo: true, readdirPlus: true, ownXattrs: '' } as const


function run (file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, (err, _stdout, stderr) => err ? reject(new Error(stderr.trim() || err.message)) : resolve())
  })
}

/** Whether `mountpoint` is a mount point now, from the kernel's table (no FUSE request). */
export async function isMounted (mountpoint: string): Promise<boolean> {
  const table = await fs.readFile('/proc/self/mounts', 'utf8')
  const escaped = mountpoint.replace(/[ \t\n\\]/g, ch => '\\' + ch.charCodeAt(0).toString(8).padStart(3, '0'))
  return table.split('\n').some(line => line.split(' ')[1] === escaped)
}

/**
 * Resolves when the filesystem mounted at `mountpoint` answers a request. statfs, because the
 * kernel answers it from no cache: a stat of the top is answered from the attributes it keeps
 * (for a second here) even after the daemon died.
 */
export async function answers (mountpoint: string): Promise<void> {
  await fs.statfs(mountpoint)
}

/**
 * A mount left by a daemon that died answers ENOTCONN ("Transport endpoint is not connected").
 * Detach it so that this mount can take its place; refuse when a live filesystem is there.
 */
export async function recoverStaleMount (mountpoint: string): Promise<void> {
  if (!await isMounted(mountpoint)) return
  let stale = false
  try {
    await withDeadline(answers(mountpoint), STALE_CHECK_MS, 'statfs of the mountpoint')
  } catch (err) {
    stale = (err as NodeJS.ErrnoException).code === 'ENOTCONN' || (err as NodeJS.ErrnoException).code === 'ECONNABORTED'
    if (!stale) throw new Error(`${mountpoint} is mounted and does not answer (${(err as Error).message}); unmount it with: fusermount -uz ${mountpoint}`)
  }
  if (!stale) throw new Error(`${mountpoint} is already mounted; unmount it first with: dnpipes unmount ${mountpoint}`)
  mountLog('recovering stale mount at %s', mountpoint)
  await detachMount(mountpoint)
}

/**
 * The -o options of a dnpipes mount. Other users get the kernel's permission checks on the
 * modes getattr reports: without allow_other only the mounting user gets in, and those checks
 * would cost a getattr of every path component of every syscall while protecting nothing (see
 * access() for access(2)).
 */
export function fuseMountOptions (options: { allowOther: boolean, readOnly: boolean }): string[] {
  const mountOptions: string[] = []
  if (options.allowOther) mountOptions.push('allow_other', 'default_permissions')
  if (options.readOnly) mountOptions.push('ro')
  return mountOptions
}

/** A stale mount recovered, the directory made: `mountpoint` is ready to be mounted on. */
export async function prepareMountpoint (mountpoint: string): Promise<void> {
  await recoverStaleMount(mountpoint)
  await fs.mkdir(mountpoint, { recursive: true })
}

export interface ServeOptions {
  /** The only extended attributes the operations know of (see MountOptions.ownXattrs). */
  ownXattrs?: string
  /** How the connection is taken over and told about (restart/). */
  session: SessionOptions
  /** The nodes the kernel holds from the servers before. */
  nodes?: NodeTable
  /** Directory handles start after this one. */
  firstHandle?: number
}

export interface Served {
  /** Resolves when the mount disappears (`dnpipes unmount`, `fusermount -u`). */
  readonly gone: Promise<void>
  readonly session: FuseSession
  /** Stops reading requests (the mount process then unmounts). */
  stop (): void
  /** The attributes of `fusePath` (undefined: of every path) changed: the kernel drops what it keeps of them. */
  attributesChanged (fusePath?: string): void
}

/** Serves `ops` on the connection `fd` of the mount at `mountpoint`, which the mount process made. */
export async function serveConnection (mountpoint: string, fd: number, ops: Operations, options: ServeOptions): Promise<Served> {
  const fuse = await mountFuse(`/dev/fd/${fd}`, ops, {
    ...LAYER_OPTIONS,
    mountOptions: [],
    ownXattrs: options.ownXattrs ?? '',
    session: options.session,
    nodes: options.nodes,
    firstHandle: options.firstHandle
  })
  let stopped = false
  let watcher: NodeJS.Timeout | undefined
  const gone = new Promise<void>(resolve => {
    // The connection ends when the mount is taken away (fusermount -u, umount); the mount table
    // is read as well, for a lazy unmount that leaves the connection to files still open.
    fuse.ended.then(() => { if (!stopped) resolve() }, () => undefined)
    watcher = setInterval(() => {
      if (stopped) return
      isMounted(mountpoint).then(still => { if (!still) resolve() }, () => undefined)
    }, GONE_POLL_MS)
    watcher.unref()
  })
  return {
    gone,
    session: fuse.session,
    stop () {
      stopped = true
      clearInterval(watcher)
      fuse.session.stop()
    },
    attributesChanged (fusePath?: string) {
      fuse.layer.attributesChanged(fusePath)
    }
  }
}

/** Detaches the mount at `mountpoint` now (files still open keep what they had). */
export function detachMount (mountpoint: string): Promise<void> {
  return run('fusermount', ['-uz', mountpoint])
}

/** The pid of the daemon serving `mountpoint`, from the fsname it mounted with. */
export async function daemonPid (mountpoint: string): Promise<number | undefined> {
  const table = await fs.readFile('/proc/self/mounts', 'utf8')
  for (const line of table.split('\n')) {
    const [source, target, type] = line.split(' ')
    if (target === mountpoint && type === 'fuse.dnpipes') {
      const pid = /^dnpipes:(\d+)$/.exec(source ?? '')?.[1]
      return pid ? Number(pid) : undefined
    }
  }
  return undefined
}

/**
 * `dnpipes unmount`: asks the daemon to stop (SIGTERM: it ends blocked followers, then unmounts)
 * and waits for the mount to go; without a reachable daemon, asks the kernel directly.
 */
export async function unmountFilesystem (mountpoint: string, lazy: boolean, timeoutMs = UNMOUNT_TIMEOUT_MS): Promise<void> {
  const mnt = path.resolve(mountpoint)
  if (!await isMounted(mnt)) throw new Error(`${mnt} is not mounted`)
  const pid = await daemonPid(mnt)
  let signalled = false
  if (pid !== undefined) {
    try {
      process.kill(pid, 'SIGTERM')
      signalled = true
    } catch {}
  }
  if (signalled && await pollUntil(async () => !await isMounted(mnt), { timeoutMs, intervalMs: UNMOUNT_POLL_MS })) return
  await run('fusermount', [lazy ? '-uz' : '-u', mnt])
}
