import type { WakeReason, Woken } from './types'

/**
 * Waits that end with a reason: each registered with what it waits for, woken by a predicate
 * over those, or cancelled by its signal ('aborted'). The follow hubs and the memory engine
 * keep their blocked followers in one.
 */
export class Waiters<T extends object> {
  private readonly pending = new Map<T, (woken: Woken) => void>()

  get size (): number {
    return this.pending.size
  }

  /** What the waits still pending wait for. */
  values (): IterableIterator<T> {
    return this.pending.keys()
  }

  /** Resolves with the reason `what`'s wait is woken for ('aborted' when `signal` aborts). */
  wait (what: T, signal: AbortSignal): Promise<Woken> {
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
    this.wakeEach(what => which(what) ? reason : undefined)
  }

  /** Ends each wait for which `how` says how (undefined: it goes on waiting). */
  wakeEach (how: (what: T) => Woken | undefined): void {
    for (const what of [...this.pending.keys()]) {
      const woken = how(what)
      if (woken !== undefined) this.end(what, woken)
    }
  }

  private end (what: T, woken: Woken): void {
    const settle = this.pending.get(what)
    if (!settle) return
    this.pending.delete(what)
    settle(woken)
  }
}
