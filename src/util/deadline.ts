export class DeadlineError extends Error {
  readonly code = 'ETIMEDOUT'
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

/** A deadline of ours, or ioredis's commandTimeout: the wait ran out, the outcome is unknown. */
export function isTimeout (err: unknown): boolean {
  return err instanceof DeadlineError || (err instanceof Error && err.message === 'Command timed out')
}
