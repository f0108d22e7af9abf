import type { HeldMessage, HeldMessages } from '../topics/readers/held-messages'

/**
 * Brings the jobs whose command failed back at their time. Redis hands a pending message out again
 * once it has been idle for the visibility timeout V (XAUTOCLAIM, claim.lua), so a job due in
 * D ≤ V is let go at once with its idle time set to V − D. Redis takes no idle time below zero
 * (XCLAIM takes a delivery time in the future as now), so a job due later is held as while its
 * command ran for D − V more, then let go with an idle time of 0. Its reader is told when the job
 * is due, so that a wait for messages begun before the failure does not outlast it.
 */
export class Retries {
  /** Jobs due later than a visibility timeout from their failure, still held: when each is due. */
  private readonly later = new Map<HeldMessage, { dueAt: number, timer: NodeJS.Timeout }>()
  private readonly lettingGo = new Set<Promise<void>>()

  constructor (
    private readonly held: HeldMessages,
    private readonly visibilityMs: number,
    /** Letting `message` go failed: it comes back within a visibility timeout instead. */
    private readonly onError: (message: HeldMessage, err: Error) => void
  ) {}

  /** Brings `message`, held until now, back in `delayMs`; never rejects. */
  async bringBack (message: HeldMessage, delayMs: number): Promise<void> {
    const holdMs = delayMs - this.visibilityMs
    if (holdMs <= 0) return await this.letGo(message, delayMs)
    const timer = setTimeout(() => {
      this.later.delete(message)
      void this.letGo(message, this.visibilityMs)
    }, holdMs)
    this.later.set(message, { dueAt: Date.now() + delayMs, timer })
  }

  /**
   * Lets go of the jobs still held for a later retry (the worker stops): each comes back at its
   * time, or a visibility timeout from now if that is sooner.
   */
  async close (): Promise<void> {
    const now = Date.now()
    for (const [message, { dueAt, timer }] of this.later) {
      clearTimeout(timer)
      void this.letGo(message, Math.max(0, dueAt - now))
    }
    this.later.clear()
    await Promise.all(this.lettingGo)
  }

  /** Stops holding `message`, which is claimable again in `inMs` (a visibility timeout at most). */
  private letGo (message: HeldMessage, inMs: number): Promise<void> {
    // Before the XCLAIM: a heartbeat of the message sent after it would set its idle time to 0.
    this.held.delete(message)
    const comesBackInMs = Math.min(inMs, this.visibilityMs)
    const done = message.reader.hold(message.delivery, this.visibilityMs - comesBackInMs).then(ours => {
      if (ours) message.reader.expectRetryAt(Date.now() + comesBackInMs)
    }, err => this.onError(message, err as Error)).finally(() => this.lettingGo.delete(done))
    this.lettingGo.add(done)
    return done
  }
}
