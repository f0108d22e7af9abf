/** A wait that ran out: the outcome of the work is unknown (it may still happen). */
export class TimeoutError extends Error {
  readonly code = 'ETIMEDOUT'
  constructor (message: string) {
    super(message)
    this.name = 'TimeoutError'
  }
}

/** One of our own deadlines ran out. */
export class DeadlineError extends TimeoutError {
  constructor (what: string, ms: number) {
    super(`${what} did not finish within ${ms} ms`)
    this.name = 'DeadlineError'
  }
}

/** Rejects with DeadlineError when `promise` takes longer than `ms`; the work itself goes on. */
export function withDeadline<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  // One promise and one timer: every FUSE operation pays this (Promise.race and finally cost three more promises).
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DeadlineError(what, ms)), ms)
    promise.then(value => {
      clearTimeout(timer)
      resolve(value)
    }, err => {
      clearTimeout(timer)
      reject(err)
    })
  })
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve()
  return new Promise(resolve => {
    const done = (): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done)
  })
}

/**
 * `promise`'s outcome, or `value` as soon as `signal` aborts (the work itself goes on, and a
 * later failure of it is ignored).
 */
export function unlessAborted<T> (promise: Promise<T>, signal: AbortSignal, value: T): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined)
    return Promise.resolve(value)
  }
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      promise.catch(() => undefined)
      resolve(value)
    }
    signal.addEventListener('abort', onAbort)
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/** A deadline of ours, or a Redis command timeout (typed at the Redis boundary). */
export function isTimeout (err: unknown): err is TimeoutError {
  return err instanceof TimeoutError
}

export interface PollOptions {
  /** How long to keep trying before giving up. */
  timeoutMs: number
  /** Pause between two checks. */
  intervalMs: number
}

/**
 * Checks `done` until it answers true (resolves true) or the time runs out (resolves false).
 * For the few waits that have nothing to subscribe to: a mount table, a socket, a file.
 */
export async function pollUntil (done: () => boolean | Promise<boolean>, options: PollOptions): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs
  for (;;) {
    if (await done()) return true
    if (Date.now() >= deadline) return false
    await sleep(options.intervalMs)
  }
}
