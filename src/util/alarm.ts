/**
 * A timer that can be brought forward: it rings once, at the earliest time it was set to. A wait
 * computed from what was known when it began ends sooner when something due sooner turns up.
 */
export class Alarm {
  private at = Number.POSITIVE_INFINITY
  private timer: NodeJS.Timeout | undefined

  constructor (private readonly ring: () => void) {}

  /** Rings at `at` (a Date.now() time), unless it is set to ring sooner; at once for a time past. */
  ringBy (at: number): void {
    if (at >= this.at) return
    this.at = at
    clearTimeout(this.timer)
    this.timer = setTimeout(this.ring, Math.max(0, at - Date.now()))
  }

  clear (): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }
}
