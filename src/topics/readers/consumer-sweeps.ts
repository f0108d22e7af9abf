/**
 * A group's readers claim at least once per visibility timeout while they wait, so a consumer
 * of ours idle for this many timeouts with nothing pending belongs to a mount or worker that is
 * gone (or, before Redis 7.2, which counts only claims that got a message, to a reader that had
 * nothing to do: removing it loses nothing). Sweeps are this far apart too.
 */
export const SWEEP_AFTER_TIMEOUTS = 3

/**
 * When the consumer groups a process reads last had their idle consumers swept (see
 * TopicEngine.sweepConsumers): one sweep per topic and group per interval for the whole process,
 * shared by its readers, so that a mount with many readers of a group costs Redis no more than
 * one reader does.
 */
export class ConsumerSweeps {
  /** When each topic (by uid) and group was last swept, by clock(). */
  private readonly sweptAt = new Map<string, number>()

  constructor (private readonly clock: () => number = Date.now) {}

  /**
   * Whether group `group` of the topic `uid` is due a sweep, `everyMs` after the last; when it
   * is, it counts as swept now (the caller sweeps), whether or not the sweep then succeeds.
   */
  take (uid: string, group: string, everyMs: number): boolean {
    const now = this.clock()
    const key = `${uid}\0${group}`
    const last = this.sweptAt.get(key)
    if (last !== undefined && now - last < everyMs) return false
    // Groups no longer read would be remembered for the life of the process; a forgotten one
    // is due, as it would be anyway.
    for (const [other, at] of this.sweptAt) if (now - at >= everyMs) this.sweptAt.delete(other)
    this.sweptAt.set(key, now)
    return true
  }

  /** How many topics and groups are remembered. */
  get size (): number {
    return this.sweptAt.size
  }
}
