import { groupsLog } from '../../log'
import type { Delivery, GroupReader } from './group-reader'

/** Beats per visibility timeout that keep a message held: two may fail before it runs out. */
const BEATS_PER_TIMEOUT = 3

/** How often held messages are beaten for a group's visibility timeout. */
export function heartbeatInterval (visibilityMs: number): number {
  return Math.max(1, Math.floor(visibilityMs / BEATS_PER_TIMEOUT))
}

/** A message a reader is working on. */
export interface HeldMessage {
  reader: GroupReader
  delivery: Delivery
}

/**
 * The messages this process's readers are working on, kept from other readers for as long as
 * the work takes: every `intervalMs` (see heartbeatInterval) each one's idle time is reset in
 * Redis. A message that is no longer ours (the beats failed past the timeout and another reader
 * claimed it) is let go.
 */
export class HeldMessages {
  private readonly held = new Set<HeldMessage>()
  private timer: NodeJS.Timeout | undefined

  constructor (private readonly intervalMs: number, private readonly onLost?: (message: HeldMessage) => void) {}

  get size (): number {
    return this.held.size
  }

  add (message: HeldMessage): void {
    this.held.add(message)
    this.timer ??= setInterval(() => this.beat(), this.intervalMs)
    this.timer.unref()
  }

  delete (message: HeldMessage): void {
    this.held.delete(message)
    if (this.held.size === 0) this.stop()
  }

  /** Stops holding; the messages go to other readers after their visibility timeout. */
  close (): void {
    this.held.clear()
    this.stop()
  }

  private beat (): void {
    for (const message of this.held) {
      message.reader.hold(message.delivery).then(ours => {
        if (ours || !this.held.has(message)) return
        groupsLog('message %s of group %s is no longer held by this reader', message.delivery.id, message.reader.group)
        this.held.delete(message)
        this.onLost?.(message)
      }, err => groupsLog('holding message %s of group %s: %s', message.delivery.id, message.reader.group, (err as Error).message))
    }
  }

  private stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
  }
}
