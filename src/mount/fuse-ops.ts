import type { Done, Operations } from '../fuse/operations'
import type { Stat, Statfs } from '../fuse/types'
import { brief, fuseLog } from '../log'
import { isTimeout, withDeadline } from '../util/deadline'
import type { PageGarbage } from '../util/page-garbage'
import { Caller, currentCaller } from './caller'
import { Errno, errnoName, toErrno } from './errno'
import { DnpipesFilesystem } from './filesystem'
import type { Metrics } from './metrics'
import { UNKNOWN_SPACE } from './space'

export interface OperationOptions {
  /** Longest any operation may take before it answers EIO. @default 5000 */
  opTimeoutMs: number
  /** Counts and times every operation when given. */
  metrics?: Metrics
  /** Told when an operation ran out of time (the connection may be dead). */
  onTimeout?: () => void
  /** Told how many bytes of buffers each read and write went through, to free them early. */
  garbage?: PageGarbage
  /** What `df` shows (see space.ts); a fixed 1 TiB when absent. */
  statfs?: () => Promise<Statfs>
}

/**
 * Operations that may change what getattr answers (a size, an owner, a name): attributes read
 * before one starts must not answer after it (see just-looked-up.ts). An open may truncate or
 * reset; a flush or release may push what was buffered.
 */
const CHANGING = new Set(['open', 'create', 'write', 'flush', 'release', 'truncate', 'ftruncate', 'unlink', 'mkdir',
  'rmdir', 'rename', 'chmod', 'chown', 'setxattr', 'removexattr'])

/** " by pid 123 uid 1000": who made the request, in the debug log. */
function callerNote (caller: Caller | undefined): string {
  return caller ? ` by pid ${caller.tid} uid ${caller.uid}` : ''
}

type Run = <T> (op: string, detail: string, work: () => Promise<T>, reply: (code: number, value?: T) => void, bounded?: boolean) => void

/**
 * The one way an operation is served: calls the filesystem, bounds the wait (unless `bounded`
 * is false), maps a failure to an errno, counts it in the metrics and logs one line with the result.
 */
function runner (fs: DnpipesFilesystem, options: OperationOptions): Run {
  return function run<T> (op: string, detail: string, work: () => Promise<T>, reply: (code: number, value?: T) => void, bounded = true): void {
    if (CHANGING.has(op)) fs.noteChange()
    const started = process.hrtime.bigint()
    const by = fuseLog.enabled ? callerNote(currentCaller()) : ''
    const working = work()
    const metrics = options.metrics
    const elapsedUs = (): number => Number(process.hrtime.bigint() - started) / 1000
    ;(bounded ? withDeadline(working, options.opTimeoutMs, op) : working).then(value => {
      const us = elapsedUs()
      if (fuseLog.enabled) fuseLog('%s %s -> ok (%d us)%s', op, detail, us, by)
      metrics?.operations.inc({ op })
      metrics?.duration.observe({ op }, us / 1e6)
      reply(0, value)
    }, err => {
      if (isTimeout(err)) options.onTimeout?.()
      const code = toErrno(err)
      const us = elapsedUs()
      if (fuseLog.enabled) fuseLog('%s %s -> %s: %s%s', op, detail, errnoName(code), (err as Error).message, by)
      metrics?.operations.inc({ op })
      metrics?.errors.inc({ op, errno: errnoName(code) })
      metrics?.duration.observe({ op }, us / 1e6)
      reply(code)
    })
  }
}

const refuse = (op: string, code: number) => (...args: unknown[]): void => {
  fuseLog('%s %s -> %s', op, String(args[0]), errnoName(code))
  const cb = args[args.length - 1] as Done
  cb(code)
}

const done = (cb: Done) => (code: number): void => cb(code)

/**
 * The FUSE operations: each one is a thin translator that calls the filesystem through run():
 * those on names and attributes, and those on open files' contents.
 */
export function buildOperations (fs: DnpipesFilesystem, options: OperationOptions): Operations {
  const run = runner(fs, options)
  return { ...namespaceOperations(fs, run, options), ...contentOperations(fs, run, options) }
}

/** Lookups, attributes, names and extended attributes. */
function namespaceOperations (fs: DnpipesFilesystem, run: Run, options: OperationOptions): Operations {
  /** An answer that needed no I/O: given at once, with the log line and metrics of run(). */
  const answerAtOnce = (op: string, detail: string, stat: Stat, cb: (code: number, stat?: Stat) => void): void => {
    if (fuseLog.enabled) fuseLog('%s %s -> ok (held)%s', op, detail, callerNote(currentCaller()))
    options.metrics?.operations.inc({ op })
    options.metrics?.duration.observe({ op }, 0)
    cb(0, stat)
  }

  /** A lookup may be answered from the last listing; a getattr (stat of a known name) asks. */
  const attributes = (op: 'lookup' | 'getattr') => (path: string, cb: (code: number, stat?: Stat) => void): void => {
    const lookup = op === 'lookup'
    let known: Stat | undefined
    try {
      known = fs.knownAttr(path, lookup)
    } catch {
      known = undefined // run() answers the refusal, with its log line and metrics
    }
    if (known) return answerAtOnce(op, path, known, cb)
    run(op, path, () => fs.getattr(path, lookup), (code, stat) => cb(code, stat))
  }

  return {
    statfs: (path, cb) => options.statfs ? run('statfs', path, options.statfs, cb) : cb(0, UNKNOWN_SPACE),
    access: (path, mode, cb) => run('access', `${path} mode=${mode}`, () => fs.access(path, mode), done(cb)),
    lookup: attributes('lookup'),
    getattr: attributes('getattr'),
    fgetattr: (path, _fd, cb) => run('fgetattr', path, () => fs.getattr(path), (code, stat) => cb(code, stat)),
    readdir: (path, cb) => run('readdir', path, () => fs.readdir(path), (code, names) => cb(code, names)),
    heldAttributes: path => fs.heldAttributes(path),
    unlink: (path, cb) => run('unlink', path, () => fs.unlink(path), done(cb)),
    mkdir: (path, mode, cb) => run('mkdir', `${path} mode=0${mode.toString(8)}`, () => fs.mkdir(path, mode, currentCaller()), done(cb)),
    rmdir: (path, cb) => run('rmdir', path, () => fs.rmdir(path), done(cb)),
    rename: (src, dest, cb) => run('rename', `${src} -> ${dest}`, () => fs.rename(src, dest), done(cb)),
    chmod: (path, mode, cb) => run('chmod', `${path} 0${mode.toString(8)}`, () => fs.chmod(path, mode), done(cb)),
    chown: (path, uid, gid, cb) => run('chown', `${path} ${uid}:${gid}`, () => fs.chown(path, uid, gid), done(cb)),
    utimens: (path, _atime, _mtime, cb) => run('utimens', path, () => fs.utimens(path), done(cb)),
    getxattr: (path, name, _position, cb) => run('getxattr', `${path} ${name}`, () => fs.getxattr(path, name), (code, value) => cb(code, value)),
    listxattr: (path, cb) => run('listxattr', path, () => fs.listxattr(path), (code, names) => cb(code, names)),
    setxattr: (path, name, value, _position, _flags, cb) => run('setxattr', `${path} ${name}`, () => fs.setxattr(path, name, value), done(cb)),
    removexattr: (path, name, cb) => run('removexattr', `${path} ${name}`, () => fs.removexattr(path, name), done(cb)),
    readlink: refuse('readlink', Errno.EINVAL),
    symlink: refuse('symlink', Errno.EPERM),
    link: refuse('link', Errno.EPERM),
    mknod: refuse('mknod', Errno.EPERM)
  }
}

/** Opening, reading, writing, truncating and closing topics. */
function contentOperations (fs: DnpipesFilesystem, run: Run, options: OperationOptions): Operations {
  return {
    open: (path, flags, cb) => run('open', `${path} flags=0x${flags.toString(16)}`, () => fs.open(path, flags), (code, fd) => cb(code, fd)),
    // The caller is read before the first await (see caller.ts): run() calls work() at once.
    create: (path, mode, cb) => run('create', `${path} mode=0${mode.toString(8)}`, () => fs.create(path, mode, currentCaller()), (code, fd) => cb(code, fd)),
    read: (path, fd, length, position, cb) => {
      // A view's read may wait for the next message as long as it takes, and needs its caller.
      const following = fs.isFollowing(fd)
      run('read', `${path} fd=${fd} ${length}@${position}`,
        () => fs.read(path, fd, length, position, following ? currentCaller() : undefined),
        (code, data) => {
          if (code !== 0 || !data) return cb(code)
          options.metrics?.bytesRead.inc(Math.min(length, data.length))
          options.garbage?.note(data.length)
          cb(0, data)
        },
        !following)
    },
    write: (path, fd, buffer, length, position, cb) => {
      // The FUSE layer hands over its own copy of what was written. Unlike a page, it dies young
      // or with the Redis reply: a full collection per 8 MiB of it cost a fifth of the time of
      // 1 MiB writes and saved no more than 25 MB of peak RSS.
      const data = buffer.subarray(0, length)
      run('write', `${path} fd=${fd} ${length}@${position} ${fuseLog.enabled ? brief(data) : ''}`,
        () => fs.write(path, fd, data, currentCaller()?.unique), (code, written) => {
          if (code === 0) options.metrics?.bytesWritten.inc(written ?? 0)
          cb(code !== 0 ? code : written ?? 0)
        })
    },
    flush: (path, fd, cb) => run('flush', `${path} fd=${fd}`, () => fs.flush(path, fd, currentCaller()), done(cb)),
    fsync: (_path, _datasync, _fd, cb) => cb(0), // every acknowledged write is already in Redis
    release: (path, fd, cb) => run('release', `${path} fd=${fd}`, () => fs.release(path, fd, currentCaller()?.unique), done(cb)),
    truncate: (path, size, cb) => run('truncate', `${path} ${size}`, () => fs.truncate(path, size), done(cb)),
    ftruncate: (path, fd, size, cb) => run('ftruncate', `${path} fd=${fd} ${size}`, () => fs.truncate(path, size), done(cb))
  }
}
