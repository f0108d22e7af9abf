import type { Cluster, Redis } from 'ioredis'
import { topicsLog } from '../../../log'
import { ensureEventFlags, onSetupConnection } from '../../../redis/keyspace-events'
import { WaiterSet } from './waiter-set'
import { keySlot } from '../key-slot'
import type { TopicKeys } from '../keys'
import { compareIds } from '../../stream-id'
import type { Woken } from '../../types'

/** The channel of a key's keyspace notifications (database 0: a Cluster has no other). */
const CHANNEL_PREFIX = '__keyspace@0__:'
/** How often waits are matched against the slots' owners and unused subscriptions let go (no Redis command). */
const SWEEP_MS = 1000
/** How often, while anybody waits, the Cluster's slots are asked again (one CLUSTER SLOTS), to follow a failover or a resharding. */
const SLOT_CHECK_MS = 5000

/** A subscription nobody has waited on for this long is let go (a follower between two waits keeps it). */
const UNUSED_MS = 5000
/** Longest pause between tries to get a lost subscriber connection back. */
const RECONNECT_MAX_MS = 1000

/** One stream's subscription: at which master, when it took effect, and when it was last waited on. */
interface Watch {
  keys: TopicKeys
  node: string
  ready: Promise<void>
  waitedAt: number
}

/** The connection that subscribes at one master, and when that master was last made to publish what followers need. */
interface Subscriber {
  connection: Redis
  ensured: Promise<void>
}

/**
 * The channels of a topic: its stream's (entries added, the key deleted or renamed), its
 * metadata hash's, whose deletion is the only event a removal of a topic without entries makes,
 * and its schedule's announcements (a message scheduled earlier than any before).
 */
function channelsOf (keys: TopicKeys): [string, string, string] {
  return [CHANNEL_PREFIX + keys.stream, CHANNEL_PREFIX + keys.meta, CHANNEL_PREFIX + keys.due]
}

/**
 * Followers on a Redis Cluster, woken by keyspace notifications (notify-keyspace-events with K,
 * g and t; see keyspace-events.ts). Redis publishes them on the node that holds the key, to that
 * node's subscribers only: this hub subscribes to each waited stream's channel on the master of
 * its slot, one connection per master, so a wait costs nothing while nothing happens, an entry
 * added by any client wakes its followers at once, and an append notifies no other node. A new
 * wait looks once for entries added before its subscription took effect. Subscriptions follow
 * their slots (a failover, a resharding) at the next slot check, and waits are woken to catch up.
 */
export class KeyspaceHub extends WaiterSet {
  private readonly watches = new Map<string, Watch>()
  private readonly subscribers = new Map<string, Subscriber>()
  private readonly sweeper: NodeJS.Timeout
  private lastSlotCheck = Date.now()

  constructor (private readonly main: Cluster) {
    super()
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS)
    this.sweeper.unref()
  }

  override wait (keys: TopicKeys, afterId: string, uid: string, signal: AbortSignal, announced?: string): Promise<Woken> {
    const woken = super.wait(keys, afterId, uid, signal, announced)
    if (!this.closed && !signal.aborted) {
      const watch = this.watches.get(keys.stream)
      if (watch) watch.waitedAt = Date.now()
      this.watch(keys).then(() => this.catchUp(keys.stream, keys.due), err => {
        topicsLog('keyspace subscription of %s: %s (the next sweep tries again)', keys.stream, (err as Error).message)
      })
    }
    return woken
  }

  override close (): void {
    super.close()
    clearInterval(this.sweeper)
    for (const subscriber of this.subscribers.values()) subscriber.connection.disconnect()
    this.subscribers.clear()
    this.watches.clear()
  }

  protected changed (): void {}

  /** "host:port" of the master that owns `stream`'s slot, as the client knows it now. */
  private ownerOf (stream: string): string | undefined {
    return this.main.slots[keySlot(stream)]?.[0]
  }

  /**
   * Subscribes to the topic's channels at the master of its slot, unless it is there already;
   * resolves once the subscription took effect and that master publishes what followers need.
   */
  private watch (keys: TopicKeys): Promise<void> {
    const stream = keys.stream
    const owner = this.ownerOf(stream)
    if (!owner) return Promise.reject(new Error('no master known for its slot'))
    const current = this.watches.get(stream)
    if (current?.node === owner) return current.ready
    if (current) this.unwatch(stream, current)
    let subscriber: Subscriber
    try {
      subscriber = this.subscriberAt(owner)
    } catch (err) {
      return Promise.reject(err)
    }
    const ready = Promise.all([subscriber.connection.subscribe(...channelsOf(keys)), subscriber.ensured]).then(() => undefined)
    // A failed subscription is tried again by the next sweep.
    ready.catch(() => { if (this.watches.get(stream)?.ready === ready) this.watches.delete(stream) })
    this.watches.set(stream, { keys, node: owner, ready, waitedAt: Date.now() })
    return ready
  }

  private unwatch (stream: string, watch: Watch): void {
    this.watches.delete(stream)
    this.subscribers.get(watch.node)?.connection.unsubscribe(...channelsOf(watch.keys)).catch(() => undefined)
  }

  /**
   * The subscriber connection to the master `node`, made on first use like the Cluster's own
   * but trying again when it is lost (the Cluster's node connections do not): it subscribes
   * again by itself, makes sure the node still publishes what followers need (a restarted node
   * has lost a CONFIG SET), and wakes its followers to read what was added meanwhile.
   */
  private subscriberAt (node: string): Subscriber {
    const known = this.subscribers.get(node)
    if (known) return known
    const master = this.main.nodes('master').find(candidate => `${candidate.options.host}:${candidate.options.port}` === node)
    if (!master) throw new Error(`${node} is not a known master`)
    const connection = master.duplicate({
      connectionName: 'dnpipes-keyspace',
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      lazyConnect: false,
      retryStrategy: (times: number) => Math.min(100 * times, RECONNECT_MAX_MS)
    })
    const subscriber: Subscriber = { connection, ensured: this.ensureEvents(master, node) }
    let connectedBefore = false
    connection.on('error', err => topicsLog('keyspace connection to %s: %s', node, err.message))
    connection.on('message', (channel: string, event: string) => {
      // An entry added, or the stream or the metadata deleted, renamed or restored: followers
      // read again. Trims and group bookkeeping add nothing to read.
      if (event !== 'xadd' && event.startsWith('x')) return
      const key = channel.slice(CHANNEL_PREFIX.length)
      this.waiters.wake(waiting => waiting.keys.stream === key || waiting.keys.meta === key || waiting.keys.due === key, 'data')
    })
    connection.on('ready', () => {
      if (connectedBefore) {
        subscriber.ensured = this.ensureEvents(master, node)
        subscriber.ensured.then(() => this.wakeAt(node), () => this.wakeAt(node))
      }
      connectedBefore = true
    })
    connection.on('close', () => {
      // Maybe a failover: ask for the slots soon. Not when the hub let the connection go.
      if (this.subscribers.get(node) === subscriber) this.lastSlotCheck = 0
    })
    this.subscribers.set(node, subscriber)
    return subscriber
  }

  /**
   * Makes sure `node` publishes the notifications followers need, on a connection of its own (a
   * subscriber may run nothing else). The mount did so at every node it found, but a node that
   * restarted since, or joined later, may lack them. Resolves either way: where it cannot be
   * made sure of, that is logged, and followers there may miss other clients' entries.
   */
  private ensureEvents (master: Redis, node: string): Promise<void> {
    return onSetupConnection(master, ensureEventFlags).then(changed => {
      if (changed) topicsLog('turned on the keyspace notifications followers need on %s', node)
    }, err => {
      topicsLog('cannot make sure of the keyspace notifications on %s (followers of its topics may miss other clients\' entries): %s', node, (err as Error).message)
    })
  }

  /**
   * Wakes the waits of `stream` after an id it holds now, or after an announcement of a
   * scheduled message on `due` they have not seen: they were added before its subscription took
   * effect.
   */
  private async catchUp (stream: string, due: string): Promise<void> {
    const lastOf = async (key: string): Promise<string | undefined> => (await this.main.xrevrange(key, '+', '-', 'COUNT', 1).catch(() => undefined))?.[0]?.[0]
    const [last, announced] = await Promise.all([lastOf(stream), lastOf(due)])
    this.waiters.wake(waiting => waiting.keys.stream === stream && (
      (last !== undefined && compareIds(last, waiting.afterId) > 0) ||
      (announced !== undefined && waiting.announced !== undefined && compareIds(announced, waiting.announced) > 0)), 'data')
  }

  private wakeAt (node: string): void {
    for (const [stream, watch] of this.watches) if (watch.node === node) this.wakeStream(stream, 'data')
  }

  /**
   * Lets go of subscriptions nobody waits on, and subscribes the waited streams whose slot moved
   * (or whose subscription failed) at their master now, waking their waits to catch up.
   */
  private sweep (): void {
    if (this.closed) return
    const waited = new Map([...this.waiters.values()].map(waiting => [waiting.keys.stream, waiting.keys]))
    const now = Date.now()
    for (const [stream, watch] of this.watches) {
      if (waited.has(stream)) watch.waitedAt = now
      else if (now - watch.waitedAt >= UNUSED_MS) this.unwatch(stream, watch)
    }
    const inUse = new Set([...this.watches.values()].map(watch => watch.node))
    for (const [node, subscriber] of this.subscribers) {
      if (inUse.has(node)) continue
      this.subscribers.delete(node)
      subscriber.connection.disconnect()
    }
    if (waited.size === 0) return
    for (const [stream, keys] of waited) {
      const watch = this.watches.get(stream)
      const owner = this.ownerOf(stream)
      if (watch && watch.node === owner) continue
      topicsLog('keyspace: %s is waited on at %s, now owned by %s', stream, watch?.node ?? 'no master', owner ?? 'no known master')
      this.watch(keys).then(() => this.wakeStream(stream, 'data'), err => {
        topicsLog('keyspace subscription of %s: %s', stream, (err as Error).message)
      })
    }
    if (now - this.lastSlotCheck >= SLOT_CHECK_MS) {
      this.lastSlotCheck = now
      ;(this.main as unknown as { refreshSlotsCache: (done?: (err?: Error) => void) => void }).refreshSlotsCache(err => {
        if (err) topicsLog('keyspace: asking for the slots failed: %s', err.message)
      })
    }
  }
}
