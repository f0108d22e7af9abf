import type { Stat, Statfs } from './types'

/**
 * A filesystem by paths, as the path layer (path-layer.ts) serves it over the kernel's node ids.
 * Callbacks take 0 or a negative errno; write's takes the byte count instead.
 * The request's caller and its abort signal are in currentRequest() (context.ts), read
 * synchronously at the operation's start.
 */
export type Done = (code: number) => void

export interface Operations {
  /** A name the kernel looks up; getattr serves it when absent. */
  lookup?: (path: string, cb: (code: number, stat?: Stat) => void) => void
  getattr?: (path: string, cb: (code: number, stat?: Stat) => void) => void
  /** fstat of an open file; getattr serves it when absent. */
  fgetattr?: (path: string, fd: number, cb: (code: number, stat?: Stat) => void) => void
  access?: (path: string, mode: number, cb: Done) => void
  statfs?: (path: string, cb: (code: number, statfs?: Statfs) => void) => void
  /**
   * The names in a directory ("." and ".." are listed by the layer, and ignored here); with
   * `stats` (one per name), READDIRPLUS hands the kernel each name's attributes.
   */
  readdir?: (path: string, cb: (code: number, names?: string[], stats?: Stat[]) => void) => void
  /**
   * The attributes of `path` when they are at hand without I/O (undefined: they are not):
   * READDIRPLUS hands them to the kernel with the name, asked as each page of a listing goes
   * out, before the `stats` readdir gave.
   */
  heldAttributes?: (path: string) => Stat | undefined
  open?: (path: string, flags: number, cb: (code: number, fd?: number) => void) => void
  create?: (path: string, mode: number, cb: (code: number, fd?: number) => void) => void
  /** Up to `length` bytes at `position`: the data (its length is the count read) or a negative errno. */
  read?: (path: string, fd: number, length: number, position: number, cb: (code: number, data?: Buffer) => void) => void
  write?: (path: string, fd: number, buffer: Buffer, length: number, position: number, cb: Done) => void
  flush?: (path: string, fd: number, cb: Done) => void
  fsync?: (path: string, datasync: boolean, fd: number, cb: Done) => void
  release?: (path: string, fd: number, cb: Done) => void
  truncate?: (path: string, size: number, cb: Done) => void
  ftruncate?: (path: string, fd: number, size: number, cb: Done) => void
  utimens?: (path: string, atime: number, mtime: number, cb: Done) => void
  /** An owner or group of 0xffffffff ((uid_t)-1) is left as it is. */
  chown?: (path: string, uid: number, gid: number, cb: Done) => void
  chmod?: (path: string, mode: number, cb: Done) => void
  mknod?: (path: string, mode: number, dev: number, cb: Done) => void
  mkdir?: (path: string, mode: number, cb: Done) => void
  unlink?: (path: string, cb: Done) => void
  rmdir?: (path: string, cb: Done) => void
  rename?: (src: string, dest: string, cb: Done) => void
  link?: (src: string, dest: string, cb: Done) => void
  symlink?: (target: string, path: string, cb: Done) => void
  readlink?: (path: string, cb: (code: number, target?: string) => void) => void
  setxattr?: (path: string, name: string, value: Buffer, position: number, flags: number, cb: Done) => void
  getxattr?: (path: string, name: string, position: number, cb: (code: number, value?: Buffer) => void) => void
  listxattr?: (path: string, cb: (code: number, names?: string[]) => void) => void
  removexattr?: (path: string, name: string, cb: Done) => void
}
