/**
 * Turns taken one at a time, first come first served: `take` resolves with the function that
 * ends the turn, once every earlier taker has ended its own, or with undefined when `signal`
 * aborts first (its place in the line is given up).
 */
export class Turns {
  private taken = false
  private readonly line: Array<(end: (() => void) | undefined) => void> = []

  /** Whether nobody has a turn or waits for one. */
  get idle (): boolean {
    return !this.taken && this.line.length === 0
  }

  take (signal: AbortSignal): Promise<(() => void) | undefined> {
    if (signal.aborted) return Promise.resolve(undefined)
    if (!this.taken) {
      this.taken = true
      return Promise.resolve(this.ender())
    }
    return new Promise(resolve => {
      const onAbort = (): void => {
        const at = this.line.indexOf(waiting)
        if (at >= 0) this.line.splice(at, 1)
        resolve(undefined)
      }
      const waiting = (end: (() => void) | undefined): void => {
        signal.removeEventListener('abort', onAbort)
        resolve(end)
      }
      this.line.push(waiting)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** An end of the current turn that works once: it hands the turn to the next in line. */
  private ender (): () => void {
    let ended = false
    return () => {
      if (ended) return
      ended = true
      const next = this.line.shift()
      if (next) next(this.ender())
      else this.taken = false
    }
  }
}
