import { execFile } from 'node:child_process'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import Fuse from 'fuse-native'
import { mountLog } from '../log'
import { addonFunction, loadCallerFunction, withCaller } from './caller'
import { Errno } from './errno'
import { pollUntil, withDeadline } from '../util/deadline'

/** How long `dnpipes unmount` waits for the daemon to unmount before asking the kernel itself. */
const UNMOUNT_TIMEOUT_MS = 5000
const UNMOUNT_POLL_MS = 20
/** A live mount answers stat at once; one that does not within this is stuck. */
const STALE_CHECK_MS = 2000
/** How often the mount table is read to notice an unmount from outside. */
const GONE_POLL_MS = 1000

/** The binding's own per-request timeout: far beyond any op timeout, so it only catches bugs. */
const BINDING_BACKSTOP_MS = 30_000

/**
 * Mount options the binding does not expose. direct_io: reads reach the daemon every time and
 * run until it answers 0 bytes, whatever size getattr said. atomic_o_trunc: open() sees O_TRUNC,
 * so `echo x > t` is not a truncate. attr_timeout=0 and negative_timeout=0: the kernel keeps no
 * attributes and no "does not exist" answers, so sizes and another host's new topics show at
 * once. entry_timeout=1: a name stays tied to its inode for a second, which spares a lookup per
 * syscall (`ls -l` makes three per file); every stat still asks the daemon, and an open of a name
 * another host removed answers ESTALE so that the kernel looks it up again (see open()).
 * big_writes: 128 KiB writes.
 */
const EXTRA_OPTIONS = ['direct_io', 'atomic_o_trunc', 'entry_timeout=1', 'attr_timeout=0',
  'negative_timeout=0', 'big_writes']

type RequestHandler = (nativeHandler: unknown, opCode: number, ...args: unknown[]) => unknown

class DnpipesFuse extends Fuse {
  constructor (mnt: string, ops: Fuse.Operations, opts: Fuse.Options, private readonly extra: string[]) {
    super(mnt, ops, opts)
  }

  // Every request's handler is wrapped so that the operation can ask who called (caller.ts).
  protected override _makeHandlerArray (): Array<RequestHandler | undefined> {
    const readCaller = loadCallerFunction()
    return super._makeHandlerArray().map(handler => handler && function (nativeHandler: unknown): unknown {
      // `arguments` as it is: no array, no closure per request.
      // eslint-disable-next-line prefer-rest-params
      return withCaller(readCaller, nativeHandler, handler, arguments)
    })
  }

  protected override _fuseOptions (): string {
    const base = super._fuseOptions()
    const extra = this.extra.join(',')
    return base ? `${base},${extra}` : `-o${extra}`
  }

  // The binding answers a too-small getxattr/listxattr buffer with the full length, which the
  // kernel turns into EIO; the answer getxattr(2) promises is ERANGE.
  protected override _op_getxattr (signal: (code: number, buffer: ArrayBuffer) => void, path: string, name: string, valueBuf: Buffer, position: number): void {
    this.ops.getxattr!(path, name, position, (code, value) => {
      if (code !== 0) return signal(code, valueBuf.buffer as ArrayBuffer)
      if (!value) return signal(Errno.ENODATA, valueBuf.buffer as ArrayBuffer)
      if (valueBuf.length === 0) return signal(value.length, valueBuf.buffer as ArrayBuffer)
      if (value.length > valueBuf.length) return signal(Errno.ERANGE, valueBuf.buffer as ArrayBuffer)
      value.copy(valueBuf)
      signal(value.length, valueBuf.buffer as ArrayBuffer)
    })
  }

  protected override _op_listxattr (signal: (code: number, buffer: ArrayBuffer) => void, path: string, listBuf: Buffer): void {
    this.ops.listxattr!(path, (code, names) => {
      if (code !== 0 || !names) return signal(code || Errno.EIO, listBuf.buffer as ArrayBuffer)
      const list = Buffer.concat(names.map(name => Buffer.from(name + '\0')))
      if (listBuf.length === 0) return signal(list.length, listBuf.buffer as ArrayBuffer)
      if (list.length > listBuf.length) return signal(Errno.ERANGE, listBuf.buffer as ArrayBuffer)
      list.copy(listBuf)
      signal(list.length, listBuf.buffer as ArrayBuffer)
    })
  }
}

export interface MountOptions {
  allowOther: boolean
  readOnly: boolean
  debug: boolean
  /**
   * The only extended attributes the operations know of: getxattr of any other name answers
   * ENODATA in the addon itself, without a request to JavaScript. '' (the default) sends every
   * name on.
   */
  ownXattrs?: string
}

export interface Mounted {
  readonly mountpoint: string
  /** Resolves when the mount disappears by other means (`dnpipes unmount`, `fusermount -u`). */
  readonly gone: Promise<void>
  unmount (): Promise<void>
}

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
 * A mount left by a daemon that died answers ENOTCONN ("Transport endpoint is not connected").
 * Detach it so that this mount can take its place; refuse when a live filesystem is there.
 */
export async function recoverStaleMount (mountpoint: string): Promise<void> {
  if (!await isMounted(mountpoint)) return
  let stale = false
  try {
    await withDeadline(fs.stat(mountpoint), STALE_CHECK_MS, 'stat of the mountpoint')
  } catch (err) {
    stale = (err as NodeJS.ErrnoException).code === 'ENOTCONN' || (err as NodeJS.ErrnoException).code === 'ECONNABORTED'
    if (!stale) throw new Error(`${mountpoint} is mounted and does not answer (${(err as Error).message}); unmount it with: fusermount -uz ${mountpoint}`)
  }
  if (!stale) throw new Error(`${mountpoint} is already mounted; unmount it first with: dnpipes unmount ${mountpoint}`)
  mountLog('recovering stale mount at %s', mountpoint)
  await run('fusermount', ['-uz', mountpoint])
}

export async function mountFilesystem (mountpoint: string, ops: Fuse.Operations, options: MountOptions): Promise<Mounted> {
  const mnt = path.resolve(mountpoint)
  await recoverStaleMount(mnt)
  await fs.mkdir(mnt, { recursive: true })
  const extra = [...EXTRA_OPTIONS]
  // Other users must get the kernel's permission checks on the modes getattr reports. Without
  // allow_other only the mounting user gets in, and those checks would cost a getattr of every
  // path component of every syscall while protecting nothing (see access() for access(2)).
  if (options.allowOther) extra.push('default_permissions')
  if (options.readOnly) extra.push('ro')
  // Set once for the process, before any request: the addon answers other names itself.
  addonFunction<(prefix: string) => void>('fuse_native_own_xattrs')(options.ownXattrs ?? '')
  const fuse = new DnpipesFuse(mnt, ops, {
    allowOther: options.allowOther,
    debug: options.debug,
    // The daemon's pid in the source column of /proc/mounts lets `dnpipes unmount` find it.
    fsname: `dnpipes:${process.pid}`,
    subtype: 'dnpipes',
    // Every operation answers within its own deadline (src/mount/fuse-ops.ts); this is a
    // backstop, except for reads, which block as long as a follower waits.
    timeout: { read: false, default: BINDING_BACKSTOP_MS }
  }, extra)
  await new Promise<void>((resolve, reject) => fuse.mount(err => err ? reject(err) : resolve()))
  mountLog('mounted %s with %s', mnt, extra.join(','))

  let unmounting = false
  let watcher: NodeJS.Timeout | undefined
  const gone = new Promise<void>(resolve => {
    watcher = setInterval(() => {
      if (unmounting) return
      isMounted(mnt).then(still => { if (!still) resolve() }, () => undefined)
    }, GONE_POLL_MS)
    watcher.unref()
  })

  return {
    mountpoint: mnt,
    gone,
    async unmount () {
      unmounting = true
      clearInterval(watcher)
      await new Promise<void>(resolve => fuse.unmount(err => {
        if (err) mountLog('unmount: %s', err.message)
        resolve()
      }))
    }
  }
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
