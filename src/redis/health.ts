import type { RedisClient } from './connect'
import { redisLog } from '../log'
import { withDeadline } from '../util/deadline'

/** A live Redis answers PING in well under this, even when busy with a long script. */
const PING_TIMEOUT_MS = 1000

/**
 * A cut network link or a frozen server produces no error on a TCP connection: commands just
 * wait. When an operation times out, the connection is probed with PING; if that times out too,
 * the connection is dropped and made again, so that operations work again by themselves once
 * Redis answers (instead of waiting on a dead socket for the kernel's keepalive).
 */
export class ConnectionWatch {
  private checking = false

  constructor (private readonly redis: RedisClient, private readonly pingTimeoutMs = PING_TIMEOUT_MS) {}

  /** Called when an operation ran out of time. */
  suspect (): void {
    if (this.checking || this.redis.status !== 'ready') return
    this.checking = true
    withDeadline(this.redis.ping(), this.pingTimeoutMs, 'PING').then(() => {
      redisLog('PING answered: the connection is alive, Redis was only slow')
    }, err => {
      redisLog('reconnecting: %s', (err as Error).message)
      this.redis.disconnect(true)
    }).finally(() => { this.checking = false })
  }
}
