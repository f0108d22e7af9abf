import type { Redis } from 'ioredis'
import { topicsLog } from '../../log'
import { connectedAddress } from '../../redis/raw-connection'
import type { RespValue } from '../../redis/resp-reader'
import { SubscriberConnection } from '../../redis/subscriber-connection'
import { ScriptRunner } from './script-runner'
import { TopicCache } from './topic-cache'

/** Redis sends tracking's invalidations here, on the connection the tracking client redirects to. */
export const INVALIDATE_CHANNEL = '__redis__:invalidate'
/** How often the subscriber is probed: a cut link gives no error, and changes would go unheard. */
const PROBE_MS = 1000
/** A live Redis answers within this, on the subscriber's commands; else the subscription counts as down. */
const REPLY_TIMEOUT_MS = 1000
/** Longest pause between tries to get tracking back after the subscriber failed. */
const RETRY_MAX_MS = 1000

/**
 * Stats of topics held between changes, on standalone Redis and Sentinel, through Redis's client
 * tracking (CLIENT TRACKING, Redis 6 and later): stats are read on a connection of their own that
 * Redis tracks, and every change of a key read there, by any other client of any host (this
 * mount's other connections included), is announced to a subscriber connection, which drops
 * what was read from it. The mount's appends go through the tracked connection too, and bring
 * the stat they change up to date from their reply: a push needs no other round trip. Unlike keyspace notifications, Redis announces a key once per read of it, not
 * once per change: a topic written a thousand times between two stats costs one message.
 *
 * Nothing is held unless both connections are up, tracking was confirmed after the latest
 * reconnection of either, and the subscriber answers its probes. A user that may not track or
 * subscribe (an ACL) gets no cache, and every stat asks Redis as without it.
 */
export class TrackedStats {
  readonly cache = new TopicCache()
  /** Runs the stat script on the tracked connection. */
  readonly runner: ScriptRunner
  private readonly connection: Redis
  private subscriber: SubscriberConnection | undefined
  /** Moves on with every attempt to arm tracking; an older attempt gives up when it sees it moved. */
  private attempt = 0
  private retryMs = 50
  private retryTimer: NodeJS.Timeout | undefined
  private readonly probe: NodeJS.Timeout
  private closed = false

  constructor (main: Redis) {
    // The main connection's options otherwise: no offline queue and no resending of the commands
    // in flight when the connection broke, so that an append either is answered or fails fast,
    // and never runs twice.
    this.connection = main.duplicate({
      lazyConnect: false,
      connectionName: `${main.options.connectionName ?? 'dnpipes'}-stats`
    })
    this.runner = new ScriptRunner(this.connection)
    this.connection.on('ready', () => { this.arm().catch(() => {}) })
    this.connection.on('close', () => this.disarm())
    this.connection.on('error', err => topicsLog('tracked stats: %s', err.message))
    this.probe = setInterval(() => this.check(), PROBE_MS)
    this.probe.unref()
  }

  close (): void {
    this.closed = true
    clearInterval(this.probe)
    clearTimeout(this.retryTimer)
    this.disarm()
    this.connection.disconnect()
  }

  /** Connects a subscriber to the server the stats connection talks to, and points tracking at it. */
  private async arm (): Promise<void> {
    this.disarm()
    const attempt = this.attempt
    const address = connectedAddress(this.connection, 'invalidations')
    if (!address || this.closed) return
    try {
      let subscriber: SubscriberConnection | undefined
      subscriber = await SubscriberConnection.open(address, REPLY_TIMEOUT_MS, (_channel, keys) => this.heard(keys), () => this.lost(subscriber))
      if (attempt !== this.attempt) {
        subscriber.close()
        return
      }
      this.subscriber = subscriber
      const id = await subscriber.command(['CLIENT', 'ID'])
      await subscriber.command(['SUBSCRIBE', INVALIDATE_CHANNEL])
      // NOLOOP: this connection's own changes (appends, see appends.ts) are not announced
      // back; the append brings the held stat up to date itself, and reads its keys again.
      await this.connection.client('TRACKING', 'ON', 'REDIRECT', id as number, 'NOLOOP')
      if (attempt !== this.attempt) return
      this.retryMs = 50
      this.cache.start()
      topicsLog('tracked stats: holding stats of topics')
    } catch (err) {
      const message = (err as Error).message
      if (attempt !== this.attempt) return
      this.disarm()
      // Redis before 6, or a user whose ACL forbids tracking or the channel: it will not change.
      if (/NOPERM|unknown (sub)?command|syntax error/i.test(message)) {
        topicsLog('tracked stats: not holding stats of topics: %s', message)
        return
      }
      topicsLog('tracked stats: arming failed, trying again: %s', message)
      this.retry()
    }
  }

  /** Changes may go unheard from now on: hold nothing, and let any attempt under way give up. */
  private disarm (): void {
    this.attempt++
    this.cache.stop()
    const subscriber = this.subscriber
    this.subscriber = undefined
    subscriber?.close()
  }

  private lost (subscriber: SubscriberConnection | undefined): void {
    if (!subscriber || subscriber !== this.subscriber || this.closed) return
    this.disarm()
    this.retry()
  }

  private retry (): void {
    if (this.closed || this.retryTimer) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      if (this.connection.status === 'ready') this.arm().catch(() => {})
    }, this.retryMs)
    this.retryTimer.unref()
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS)
  }

  private heard (keys: RespValue): void {
    if (keys === null) this.cache.invalidated(null)
    else if (Array.isArray(keys)) this.cache.invalidated(keys.map(String))
  }

  private check (): void {
    const subscriber = this.subscriber
    if (!subscriber || !this.cache.up) return
    // A failed or late PING ends the connection, and lost() takes it from there.
    subscriber.command(['PING']).catch(() => {})
  }
}
