import type { Cluster, Redis } from 'ioredis'
import { TopicKeys } from '../keys'
import { minId } from '../../stream-id'
import type { WakeReason, Woken } from '../../types'
import { Waiters } from '../../waiters'

/** What one blocked follower waits for. */
interface Waiting {
  keys: TopicKeys
  afterId: string
  uid: string
  /** The last announcement of a scheduled message it knows of (keys.due); undefined: it does not wait for them. */
  announced?: string
}

/** What a follower waits on: XREAD multiplexing on one Redis, notifications on a Cluster. */
export interface Hub {
  readonly waiting: number
  /** `announced`: also wake at an announcement of a scheduled message after it (see schedule.ts). */
  wait (keys: TopicKeys, afterId: string, uid: string, signal: AbortSignal, announced?: string): Promise<Woken>
  /** Wakes the waiters of `stream` at once: their topic was moved or removed through this mount. */
  gone (stream: string): void
  close (): void
}

/** The set of blocked followers, and how a wait is registered, woken and cancelled. */
export abstract class WaiterSet implements Hub {
  protected readonly waiters = new Waiters<Waiting>()
  protected closed = false

  get waiting (): number {
    return this.waiters.size
  }

  /** Resolves when an entry after `afterId` may exist (or with them), the topic is gone, or `signal` aborts. */
  wait (keys: TopicKeys, afterId: string, uid: string, signal: AbortSignal, announced?: string): Promise<Woken> {
    if (this.closed) return Promise.resolve('aborted')
    const woken = this.waiters.wait({ keys, afterId, uid, announced }, signal)
    this.changed()
    return woken
  }

  /** Ends every wait ('aborted'). */
  close (): void {
    this.closed = true
    this.waiters.wake(() => true, 'aborted')
  }

  gone (stream: string): void {
    this.wakeStream(stream, 'gone')
  }

  /** Wakes the waiters of `stream`: a topic's stream, or the stream of its schedule's announcements. */
  protected wakeStream (stream: string, reason: WakeReason): void {
    this.waiters.wake(waiting => waiting.keys.stream === stream || (waiting.announced !== undefined && waiting.keys.due === stream), reason)
  }

  /** The lowest id waited after, per stream, with the announcement streams of the waiters that wait for them. */
  protected waitedStreams (): Map<string, string> {
    const byStream = new Map<string, string[]>()
    const add = (stream: string, id: string): void => {
      const ids = byStream.get(stream) ?? []
      ids.push(id)
      byStream.set(stream, ids)
    }
    for (const waiter of this.waiters.values()) {
      add(waiter.keys.stream, waiter.afterId)
      if (waiter.announced !== undefined) add(waiter.keys.due, waiter.announced)
    }
    return new Map([...byStream].map(([stream, ids]) => [stream, minId(ids)!]))
  }

  /** The topics (metadata keys) waited on. */
  protected waitedTopics (): string[] {
    return [...new Set([...this.waiters.values()].map(waiter => waiter.keys.meta))]
  }

  /** Wakes the waiters whose topic was removed, or removed and created again. */
  protected async checkExistence (client: Redis | Cluster): Promise<void> {
    const metas = this.waitedTopics()
    if (metas.length === 0) return
    // One command per topic, sent together: on a Cluster they go to different nodes.
    this.wakeGone(await identities(client, metas))
  }

  /** `uids`: each topic's identity, null when it is gone; a topic missing says nothing. */
  protected wakeGone (uids: Map<string, string | null>): void {
    this.waiters.wake(waiter => {
      const uid = uids.get(waiter.keys.meta)
      return uid !== undefined && uid !== waiter.uid
    }, 'gone')
  }

  protected abstract changed (): void
}

/**
 * Each topic's identity (its uid; null when it is gone), one HGET each sent together; a topic
 * Redis did not answer for is left out, since that says nothing.
 */
export async function identities (client: Redis | Cluster, metas: string[]): Promise<Map<string, string | null>> {
  const uids = await Promise.all(metas.map(meta => client.hget(meta, 'uid').catch(() => undefined)))
  const known = new Map<string, string | null>()
  metas.forEach((meta, i) => { if (uids[i] !== undefined) known.set(meta, uids[i]!) })
  return known
}
