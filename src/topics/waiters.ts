import type { WakeReason } from './types'

/**
 * Waits that end with a reason: each registered with what it waits for, woken by a predicate
 * over those, or cancelled by its signal ('aborted'). The follow hubs and the memory engine
 * keep their blocked followers in one.
 */
export class Waiters<T extends object> {
  private readonly pending = new Map<T, (reason: WakeReason) => void>()

  get size (): number {
    return this.pending.size
  }

  /** What the waits still pending wait for. */
  values (): IterableIterator<T> {
    return this.pending.keys()
  }

  /** Resolves with the reason `what`'s wait is woken for ('aborted' when `signal` aborts). */
  wait (what: T, signal: AbortSignal): Promise<WakeReason> {
    if (signal.aborted) return Promise.resolve('aborted')
    return new Promise(resolve => {
      const onAbort = (): void => this.end(what, 'aborted')
      this.pending.set(what, reason => {
        signal.removeEventListener('abort', onAbort)
        resolve(reason)
      })
      signal.addEventListener('abort', onAbort)
    })
  }

  /** Ends every wait for which `which` holds. */
  wake (which: (what: T) => boolean, reason: WakeReason): void {
    for (const what of [...this.pending.keys()]) if (which(what)) this.end(what, reason)
  }

  private end (what: T, reason: WakeReason): void {
    const settle = this.pending.get(what)
    if (!settle) return
    this.pending.delete(what)
    settle(reason)
  }
}
