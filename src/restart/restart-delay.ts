/** A server that served this long before dying is replaced at once. */
const STEADY_MS = 1000
const FIRST_PAUSE_MS = 100
const LONGEST_PAUSE_MS = 5000

/**
 * How long the mount process waits before starting the next server. One that served a while is
 * replaced at once: its callers wait meanwhile. One that died before it served (Redis refuses
 * it, a broken install) or soon after (a request that crashes every server it reaches) is
 * replaced after 100 ms, then twice as long each time, up to 5 s, so that a crash loop does not
 * eat the machine. Pure.
 */
export class RestartDelay {
  private quickDeaths = 0

  /** The pause before the next server, after one that ran `ranMs`, `served` or not. */
  after (ranMs: number, served: boolean): number {
    if (served && ranMs >= STEADY_MS) {
      this.quickDeaths = 0
      return 0
    }
    this.quickDeaths++
    return Math.min(FIRST_PAUSE_MS * 2 ** (this.quickDeaths - 1), LONGEST_PAUSE_MS)
  }
}
