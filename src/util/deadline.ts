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
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(what, ms)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

export function sleep (ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
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
