import { Waiters } from '../waiters'
import type { WakeReason, Woken } from '../types'
import type { MemoryTopic } from './memory-topic'

/** What one blocked follower waits for. */
interface Waiting {
  path: string
  uid: string
  afterId: string
}

/**
 * The memory engine's followers waiting for entries, and the timers that enter each topic's
 * scheduled messages when they are due: what Redis's blocking reads and the due-message sweep
 * do for the Redis engine.
 */
export class MemoryWaits {
  private readonly waiters = new Waiters<Waiting>()
  /** The timer of each topic with scheduled messages, set for the next one's due time. */
  private readonly dueTimers = new Map<MemoryTopic, NodeJS.Timeout>()

  /** Until `topic` (at `path`) has an entry after `afterId`, it is gone, or `signal` aborts. */
  wait (path: string, topic: MemoryTopic, afterId: string, signal: AbortSignal): Promise<Woken> {
    return this.waiters.wait({ path, uid: topic.uid, afterId }, signal)
  }

  /** Wakes the followers of `topic` that have an entry to read. */
  wakeFollowers (topic: MemoryTopic): void {
    this.waiters.wake(waiter => waiter.uid === topic.uid && topic.hasAfter(waiter.afterId), 'data')
  }

  /** At the due time of `topic`'s next scheduled message: enters what is due then, and wakes its followers. */
  enterWhenDue (topic: MemoryTopic): void {
    clearTimeout(this.dueTimers.get(topic))
    const due = topic.nextDueMs
    if (due === undefined) {
      this.dueTimers.delete(topic)
      return
    }
    const timer = setTimeout(() => {
      this.dueTimers.delete(topic)
      if (topic.enterDue() > 0) this.wakeFollowers(topic)
      this.enterWhenDue(topic)
    }, Math.max(0, due - Date.now()))
    timer.unref()
    this.dueTimers.set(topic, timer)
  }

  /** `topic`, at `path`, is gone: its timer stops, and its followers are woken ('gone'). */
  dropped (path: string, topic: MemoryTopic): void {
    clearTimeout(this.dueTimers.get(topic))
    this.dueTimers.delete(topic)
    this.waiters.wake(waiter => waiter.path === path, 'gone')
  }

  /** Every timer stops, and every follower is woken with `reason`. */
  endAll (reason: WakeReason): void {
    for (const timer of this.dueTimers.values()) clearTimeout(timer)
    this.dueTimers.clear()
    this.waiters.wake(() => true, reason)
  }
}
