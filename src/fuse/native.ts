import { existsSync } from 'node:fs'
import path from 'node:path'

/** The addon (native/): mounting through libfuse 3, and the connection served on the event loop. */
export interface NativeFuse {
  /** Mounts and resolves with the session (for unmount) and the connection's descriptor. */
  mount (mountpoint: string, options: string): Promise<{ session: unknown, fd: number }>
  /** Unmounts (lazily) and closes the descriptor. */
  unmount (session: unknown): Promise<void>
  /** Polls `fd` on the event loop; each request is read into `buffer` and its length passed on. */
  open (fd: number, buffer: Buffer, onRequest: (length: number) => void, onEnd: (errno: number) => void): unknown
  /** Writes one reply or notification from its chunks: 0, or a negative errno. */
  write (channel: unknown, ...chunks: Buffer[]): number
  close (channel: unknown): void
  /** A new descriptor of the connection `fd` is one of (FUSE_DEV_IOC_CLONE); fs.closeSync closes it. */
  clone (fd: number): number
  /** Reads no more requests; replies can still be written. */
  pause (channel: unknown): void
  /** The channel answers LOOKUPs of `name` in `parent` with `reply` (see native/held-entries.h); the lookups answered from what it replaced. */
  hold (channel: unknown, parent: number, name: Buffer, reply: Buffer): number
  /** The channel no longer answers LOOKUPs of `name` in `parent`; the lookups it answered. */
  drop (channel: unknown, parent: number, name: Buffer): number
}

let loaded: NativeFuse | undefined

/**
 * The addon for this platform: a prebuilt binary from prebuilds/, or the one node-gyp built in
 * build/ (node-gyp-build looks in both). DNPIPES_FUSE_ADDON names another build instead, such
 * as the one the tests make with AddressSanitizer.
 */
export function nativeFuse (): NativeFuse {
  if (!loaded) {
    const other = process.env.DNPIPES_FUSE_ADDON
    loaded = other ? require(path.resolve(other)) as NativeFuse : (require('node-gyp-build') as (dir: string) => NativeFuse)(packageRoot())
  }
  return loaded
}

/** The package's root (where binding.gyp is), from dist/src/fuse/ or src/fuse/. */
function packageRoot (): string {
  let dir = __dirname
  while (!existsSync(path.join(dir, 'binding.gyp'))) {
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error(`no binding.gyp above ${__dirname}: the package is incomplete`)
    dir = parent
  }
  return dir
}
