import type { Redis } from 'ioredis'
import { topicsLog } from '../../log'
import { withDeadline } from '../../util/deadline'
import { DirectoryCache } from './directory-cache'

/** How often the subscription is probed: a cut link gives no error, and changes would go unheard. */
const PROBE_MS = 1000
/** A live Redis answers a subscriber's PING within this; else the subscription counts as down. */
const PROBE_TIMEOUT_MS = 1000

/**
 * Keeps a DirectoryCache told of every directory change that any host announces: a connection
 * of its own subscribed to the directories channel. The cache holds nothing unless the
 * subscription is confirmed and its probes answered; a connection that drops or stops
 * answering is made again, and the cache starts empty once it is back.
 */
export class DirectoryWatch {
  readonly cache = new DirectoryCache()
  private readonly subscriber: Redis
  private readonly probe: NodeJS.Timeout
  private closed = false

  constructor (client: Redis, private readonly channel: string) {
    // Resubscribed by hand on every 'ready', so that the cache knows when it is heard again.
    // Named apart from the mount's own connection, which the embedded Redis counts its users by.
    this.subscriber = client.duplicate({
      autoResubscribe: false,
      lazyConnect: false,
      enableOfflineQueue: true,
      connectionName: `${client.options.connectionName ?? 'dnpipes'}-dirs`
    })
    this.subscriber.on('message', (_channel: string, path: string) => this.cache.changed(path))
    this.subscriber.on('ready', () => this.subscribe())
    this.subscriber.on('close', () => this.cache.down())
    this.subscriber.on('error', err => topicsLog('directory watch: %s', err.message))
    this.probe = setInterval(() => this.check(), PROBE_MS)
    this.probe.unref()
  }

  close (): void {
    this.closed = true
    clearInterval(this.probe)
    this.cache.down()
    this.subscriber.disconnect()
  }

  private subscribe (): void {
    this.subscriber.subscribe(this.channel).then(() => {
      if (!this.closed) this.cache.up()
    }, err => {
      const message = (err as Error).message
      topicsLog('directory watch: subscribe failed: %s', message)
      // A user whose ACL forbids the channel never gets it: hold nothing, and stop asking.
      if (/NOPERM/.test(message)) this.close()
      else this.subscriber.disconnect(true)
    })
  }

  private check (): void {
    if (this.subscriber.status !== 'ready') return
    withDeadline(this.subscriber.ping(), PROBE_TIMEOUT_MS, 'subscriber PING').catch(err => {
      if (this.closed) return
      topicsLog('directory watch: reconnecting: %s', (err as Error).message)
      this.cache.down()
      this.subscriber.disconnect(true)
    })
  }
}
