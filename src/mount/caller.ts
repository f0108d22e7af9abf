import path from 'node:path'

/**
 * Who made the FUSE request being served, and which request it is: libfuse's
 * fuse_get_context(), which fuse-native keeps to itself, and the opcode of the request's
 * header. scripts/fuse-native-caller.js adds `fuse_native_caller(handler)` to the addon at
 * setup; the binding hands that handler to every operation. JavaScript serves one request at a
 * time up to its first await, so the caller is read there, synchronously, as C reads its
 * thread's context.
 */
export interface Caller {
  uid: number
  gid: number
  /** The calling thread's id (the process id for a single-threaded process). */
  pid: number
  umask: number
  /**
   * The kernel's opcode of the request (FUSE_LOOKUP, FUSE_GETATTR, …): libfuse 2 serves a
   * lookup and a getattr with the same getattr operation.
   */
  opcode: number
}

/** Opcodes of the kernel's FUSE protocol (linux/fuse.h) that dnpipes tells apart. */
export const FUSE_LOOKUP = 1

type CallerFunction = (handler: unknown) => [number, number, number, number, number]

/**
 * The request being dispatched, as the addon's handle of it. Its caller is read only when asked
 * for: every request passes through here, few need to know who made it, and the handle's fields
 * stay this request's until it is answered (its FUSE thread waits for the answer).
 */
let currentHandler: unknown
let readCaller: CallerFunction | undefined

/** The caller of the request being dispatched now; undefined outside a request. */
export function currentCaller (): Caller | undefined {
  if (currentHandler === undefined || !readCaller) return undefined
  const [uid, gid, pid, umask, opcode] = readCaller(currentHandler)
  return { uid, gid, pid, umask, opcode }
}

/** The opcode of the request being dispatched now (0 outside one), without building a Caller: every getattr asks. */
export function currentOpcode (): number {
  if (currentHandler === undefined || !readCaller) return 0
  return readCaller(currentHandler)[4]
}

/**
 * Calls `dispatch` with `args` (the binding's own, handle first) while `handler`'s request is the
 * current one. Nothing is allocated: this runs for every request.
 */
export function withCaller<T> (read: CallerFunction, handler: unknown, dispatch: (...args: never[]) => T, args: ArrayLike<unknown>): T {
  const outer = currentHandler
  readCaller = read
  currentHandler = handler
  try {
    return Reflect.apply(dispatch, undefined, args) as T
  } finally {
    currentHandler = outer
  }
}

/**
 * A function that scripts/fuse-native-caller.js adds to the addon; a clear error when setup has
 * not rebuilt it.
 */
export function addonFunction<F> (name: 'fuse_native_caller' | 'fuse_native_own_xattrs'): F {
  // fuse-native's own node-gyp-build, which caches the addon: the very binding it loaded.
  const dir = path.dirname(require.resolve('fuse-native/package.json'))
  const binding = require(require.resolve('node-gyp-build', { paths: [dir] }))(dir)
  if (typeof binding[name] !== 'function') {
    throw new Error(`fuse-native was installed without the ${name} dnpipes adds to it; run \`npm run setup\` (scripts/fuse-native-caller.js)`)
  }
  return binding[name] as F
}

/** The addon's caller function. */
export function loadCallerFunction (): CallerFunction {
  return addonFunction<CallerFunction>('fuse_native_caller')
}
