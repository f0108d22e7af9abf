import type { Cluster } from 'ioredis'
import { topicsLog } from '../../../log'
import { compareIds } from '../../stream-id'
import { WaiterSet } from './waiter-set'

export interface NotifyHubOptions {
  /** The channel appends are announced on (the stream key as message). */
  channel: string
  /** How often waited-on streams are checked for entries other clients added, and for removal. @default 250 */
  pollMs: number
}

/**
 * Followers on a Redis Cluster, where one XREAD cannot span hash slots: every append made by
 * dnpipes announces its stream on a channel (PUBLISH reaches every node), which wakes the
 * followers of that stream at once; entries added by other clients, and removals, are found by
 * a poll of the waited streams' last ids.
 */
export class NotifyHub extends WaiterSet {
  private readonly subscriber: Cluster
  private readonly timer: NodeJS.Timeout
  private polling = false

  constructor (private readonly main: Cluster, options: NotifyHubOptions) {
    super()
    this.subscriber = main.duplicate([], { enableOfflineQueue: true, lazyConnect: false })
    this.subscriber.on('error', err => topicsLog('notify connection: %s', err.message))
    this.subscriber.on('message', (_channel: string, stream: string) => this.wakeStream(stream, 'data'))
    this.subscriber.subscribe(options.channel).catch(err => topicsLog('SUBSCRIBE failed: %s', err.message))
    this.timer = setInterval(() => { void this.poll() }, options.pollMs)
    this.timer.unref()
  }

  override close (): void {
    super.close()
    clearInterval(this.timer)
    this.subscriber.disconnect()
  }

  protected changed (): void {}

  private async poll (): Promise<void> {
    if (this.polling || this.waiters.size === 0) return
    this.polling = true
    try {
      const waited = [...this.waitedStreams()]
      const tops = await Promise.all(waited.map(([stream]) => this.main.xrevrange(stream, '+', '-', 'COUNT', 1).catch(() => [])))
      waited.forEach(([stream, afterId], i) => {
        const last = tops[i]?.[0]?.[0]
        if (last !== undefined && compareIds(last, afterId) > 0) this.wakeStream(stream, 'data')
      })
      await this.checkExistence(this.main)
    } finally {
      this.polling = false
    }
  }
}
