// The parts of fuse-native (2.2.6) that dnpipes uses. Callbacks take a negative errno or 0;
// read and write callbacks take the byte count instead.
declare module 'fuse-native' {
  namespace Fuse {
    interface Stat {
      mode: number
      uid: number
      gid: number
      size: number
      mtime: Date | number
      atime: Date | number
      ctime: Date | number
      nlink?: number
      blocks?: number
      blksize?: number
      ino?: number
      dev?: number
      rdev?: number
    }
    interface Statfs {
      bsize: number, frsize: number, blocks: number, bfree: number, bavail: number
      files: number, ffree: number, favail: number, fsid: number, flag: number, namemax: number
    }
    type Done = (code: number) => void
    interface Operations {
      init?: (cb: Done) => void
      access?: (path: string, mode: number, cb: Done) => void
      statfs?: (path: string, cb: (code: number, statfs?: Statfs) => void) => void
      getattr?: (path: string, cb: (code: number, stat?: Stat) => void) => void
      fgetattr?: (path: string, fd: number, cb: (code: number, stat?: Stat) => void) => void
      flush?: (path: string, fd: number, cb: Done) => void
      fsync?: (path: string, datasync: boolean, fd: number, cb: Done) => void
      readdir?: (path: string, cb: (code: number, names?: string[]) => void) => void
      truncate?: (path: string, size: number, cb: Done) => void
      ftruncate?: (path: string, fd: number, size: number, cb: Done) => void
      utimens?: (path: string, atime: number, mtime: number, cb: Done) => void
      readlink?: (path: string, cb: (code: number, target?: string) => void) => void
      chown?: (path: string, uid: number, gid: number, cb: Done) => void
      chmod?: (path: string, mode: number, cb: Done) => void
      mknod?: (path: string, mode: number, dev: number, cb: Done) => void
      open?: (path: string, flags: number, cb: (code: number, fd?: number) => void) => void
      opendir?: (path: string, flags: number, cb: (code: number, fd?: number) => void) => void
      read?: (path: string, fd: number, buffer: Buffer, length: number, position: number, cb: Done) => void
      write?: (path: string, fd: number, buffer: Buffer, length: number, position: number, cb: Done) => void
      release?: (path: string, fd: number, cb: Done) => void
      releasedir?: (path: string, fd: number, cb: Done) => void
      create?: (path: string, mode: number, cb: (code: number, fd?: number) => void) => void
      unlink?: (path: string, cb: Done) => void
      rename?: (src: string, dest: string, cb: Done) => void
      link?: (src: string, dest: string, cb: Done) => void
      symlink?: (src: string, dest: string, cb: Done) => void
      mkdir?: (path: string, mode: number, cb: Done) => void
      rmdir?: (path: string, cb: Done) => void
      setxattr?: (path: string, name: string, value: Buffer, position: number, flags: number, cb: Done) => void
      getxattr?: (path: string, name: string, position: number, cb: (code: number, value?: Buffer) => void) => void
      listxattr?: (path: string, cb: (code: number, names?: string[]) => void) => void
      removexattr?: (path: string, name: string, cb: Done) => void
    }
    interface Options {
      timeout?: number | false | Record<string, number | false>
      force?: boolean
      mkdir?: boolean
      allowOther?: boolean
      debug?: boolean
      fsname?: string
      subtype?: string
    }
  }
  class Fuse {
    constructor (mnt: string, ops: Fuse.Operations, opts?: Fuse.Options)
    readonly mnt: string
    readonly opts: Fuse.Options
    mount (cb: (err: Error | null) => void): void
    unmount (cb: (err: Error | null) => void): void
    protected readonly ops: Fuse.Operations
    protected _fuseOptions (): string
    /** One handler per opcode, called by the addon with its request handle first. */
    protected _makeHandlerArray (): Array<((nativeHandler: unknown, opCode: number, ...args: unknown[]) => unknown) | undefined>
    protected _op_getxattr (signal: (code: number, buffer: ArrayBuffer) => void, path: string, name: string, valueBuf: Buffer, position: number): void
    protected _op_listxattr (signal: (code: number, buffer: ArrayBuffer) => void, path: string, listBuf: Buffer): void
    static unmount (mnt: string, cb: (err: Error | null) => void): void
    static readonly [errno: string]: number
  }
  export = Fuse
}
