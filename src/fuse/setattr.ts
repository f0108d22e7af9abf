import { Errno } from './errno'
import type { Operations } from './operations'
import { SetattrValid } from './protocol'
import type { Request } from './request'

/** chown's "leave it as it is" for an owner or group: (uid_t)-1, as libfuse passes it. */
export const UNCHANGED_ID = 0xffffffff

export type SetattrArgs = Extract<Request['args'], { kind: 'setattr' }>

/**
 * Runs the operations one SETATTR asks for, in the order chmod, chown, truncate, utimens, each
 * after the one before succeeded: `done` hears 0 or the first failure. An operation the
 * filesystem lacks refuses the change (EPERM), except times, which it may ignore.
 */
export function applySetattr (ops: Operations, path: string, args: SetattrArgs, done: (code: number) => void): void {
  const steps: Array<(next: (code: number) => void) => void> = []
  const has = (bit: number): boolean => (args.valid & bit) !== 0
  if (has(SetattrValid.MODE)) steps.push(next => ops.chmod ? ops.chmod(path, args.mode, next) : next(Errno.EPERM))
  if (has(SetattrValid.UID) || has(SetattrValid.GID)) {
    steps.push(next => ops.chown ? ops.chown(path, has(SetattrValid.UID) ? args.uid : UNCHANGED_ID, has(SetattrValid.GID) ? args.gid : UNCHANGED_ID, next) : next(Errno.EPERM))
  }
  if (has(SetattrValid.SIZE)) {
    steps.push(next => has(SetattrValid.FH) && ops.ftruncate
      ? ops.ftruncate(path, args.fh, args.size, next)
      : ops.truncate ? ops.truncate(path, args.size, next) : next(Errno.EPERM))
  }
  if (has(SetattrValid.ATIME) || has(SetattrValid.MTIME)) {
    const now = Date.now()
    const atime = has(SetattrValid.ATIME_NOW) ? now : args.atimeMs
    const mtime = has(SetattrValid.MTIME_NOW) ? now : args.mtimeMs
    steps.push(next => ops.utimens ? ops.utimens(path, atime, mtime, next) : next(0))
  }
  const run = (index: number): void => {
    if (index < steps.length) return steps[index]!(code => code === 0 ? run(index + 1) : done(code))
    done(0)
  }
  run(0)
}
