import { Errno } from './errno'
import type { Operations } from './operations'
import { RELEASE_FLUSH } from './protocol'
import { openOut, writeOut } from './reply'
import type { Arguments } from './request'
import { answer, Reply } from './session'

const EMPTY = Buffer.alloc(0)

/**
 * Requests on an open file (its handle `args.fh`), and its opening: each goes to its operation
 * by path, and the answer is encoded. `openFlags` go with every open (direct I/O or none).
 */
export function answerFileRequest (ops: Operations, path: string, args: Arguments, openFlags: number, reply: Reply): void {
  const done = (code: number): void => answer(reply, code)
  switch (args.kind) {
    case 'open':
      if (!ops.open) return reply.ok(openOut(0, openFlags))
      return ops.open(path, args.flags, (code, fd) => code === 0 ? reply.ok(openOut(fd ?? 0, openFlags)) : reply.error(code))
    case 'read':
      if (!ops.read) return reply.error(Errno.ENOSYS)
      return ops.read(path, args.fh, args.size, args.offset, (code, data) => {
        if (code < 0) return reply.error(code)
        reply.ok(data && data.length > args.size ? data.subarray(0, args.size) : data ?? EMPTY)
      })
    case 'write':
      if (!ops.write) return reply.error(Errno.ENOSYS)
      return ops.write(path, args.fh, args.data, args.data.length, args.offset, result => result < 0 ? reply.error(result) : reply.ok(writeOut(result)))
    case 'flush': return ops.flush ? ops.flush(path, args.fh, done) : reply.ok()
    case 'fsync': return ops.fsync ? ops.fsync(path, args.datasync, args.fh, done) : reply.ok()
    case 'release': {
      if (!ops.release) return reply.ok()
      const release = ops.release
      if ((args.releaseFlags & RELEASE_FLUSH) !== 0 && ops.flush) return ops.flush(path, args.fh, () => release(path, args.fh, done))
      return release(path, args.fh, done)
    }
    default: return reply.error(Errno.ENOSYS)
  }
}
