import { Errno } from './errno'
import type { Operations } from './operations'
import { xattrSizeOut } from './reply'
import type { Request } from './request'
import type { Reply } from './session'

type XattrArgs = Extract<Request['args'], { kind: 'setxattr' | 'getxattr' | 'listxattr' | 'removexattr' }>

/**
 * SETXATTR, GETXATTR, LISTXATTR and REMOVEXATTR of `path`: a size of 0 asks how long the value
 * or list is, a smaller buffer than it gets ERANGE, and a name outside `ownXattrs` (when not '')
 * is answered ENODATA at once, without the filesystem.
 */
export function answerXattr (ops: Operations, path: string, args: XattrArgs, ownXattrs: string, reply: Reply): void {
  const done = (code: number): void => code === 0 ? reply.ok() : reply.error(code)
  switch (args.kind) {
    case 'setxattr': {
      if (args.name === undefined) return reply.error(Errno.EILSEQ)
      if (!ops.setxattr) return reply.error(Errno.ENOTSUP)
      return ops.setxattr(path, args.name, args.value, 0, args.flags, done)
    }
    case 'getxattr': {
      if (args.name === undefined) return reply.error(Errno.ENODATA)
      if (!ops.getxattr || (ownXattrs !== '' && !args.name.startsWith(ownXattrs))) return reply.error(Errno.ENODATA)
      return ops.getxattr(path, args.name, 0, (code, value) => {
        if (code !== 0) return reply.error(code)
        if (!value) return reply.error(Errno.ENODATA)
        if (args.size === 0) return reply.ok(xattrSizeOut(value.length))
        if (value.length > args.size) return reply.error(Errno.ERANGE)
        reply.ok(value)
      })
    }
    case 'listxattr': {
      if (!ops.listxattr) return args.size === 0 ? reply.ok(xattrSizeOut(0)) : reply.ok()
      return ops.listxattr(path, (code, names) => {
        if (code !== 0 || !names) return reply.error(code || Errno.EIO)
        const list = Buffer.from(names.map(n => n + '\0').join(''))
        if (args.size === 0) return reply.ok(xattrSizeOut(list.length))
        if (list.length > args.size) return reply.error(Errno.ERANGE)
        reply.ok(list)
      })
    }
    case 'removexattr': {
      if (args.name === undefined) return reply.error(Errno.ENODATA)
      if (!ops.removexattr) return reply.error(Errno.ENOTSUP)
      return ops.removexattr(path, args.name, done)
    }
  }
}
