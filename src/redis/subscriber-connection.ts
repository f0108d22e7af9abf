import type net from 'node:net'
import { redisLog } from '../log'
import { DeadlineError } from '../util/deadline'
import { openConnection, RawAddress, readReplies } from './raw-connection'
import { encodeCommand, RespError, RespReader, RespValue, ValueVisitor } from './resp-reader'

interface Pending {
  resolve: (value: RespValue) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout
}

const MESSAGE = Buffer.from('message')

/**
 * A connection in RESP2's subscribed mode that hears the messages ioredis drops: client
 * tracking's invalidations come as a 'message' whose payload is an array of keys (or a null,
 * for all of them), and ioredis hands neither to its listeners. Commands (CLIENT ID, SUBSCRIBE,
 * PING) are answered in order; a message is told apart from a reply by its first item, as it
 * may arrive between a command and its reply. It never reconnects: the first failure ends it,
 * and `ended` hears of it once.
 */
export class SubscriberConnection {
  private readonly pending: Pending[] = []
  private readonly reader = new RespReader(() => new ValueVisitor(value => this.received(value)))
  private failure: Error | undefined

  private constructor (
    private readonly socket: net.Socket,
    private readonly timeoutMs: number,
    private readonly onMessage: (channel: string, payload: RespValue) => void,
    private readonly ended: (err: Error) => void
  ) {
    readReplies(socket, this.reader, err => this.fail(err))
  }

  /** Connects and logs in; `onMessage` hears every message of the channels subscribed later. */
  static async open (
    address: RawAddress,
    timeoutMs: number,
    onMessage: (channel: string, payload: RespValue) => void,
    ended: (err: Error) => void
  ): Promise<SubscriberConnection> {
    return await openConnection(address, timeoutMs, socket => new SubscriberConnection(socket, timeoutMs, onMessage, ended), async (connection, handshake) => {
      for (const command of handshake) await connection.command(command)
    })
  }

  get broken (): boolean {
    return this.failure !== undefined
  }

  /** Sends one command; its reply, or the failure that ends the connection (an error reply does not). */
  command (args: ReadonlyArray<string | number>): Promise<RespValue> {
    if (this.failure) return Promise.reject(this.failure)
    return new Promise<RespValue>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new DeadlineError(`${String(args[0])} on a subscriber connection`, this.timeoutMs)), this.timeoutMs)
      this.pending.push({ resolve, reject, timer })
      this.socket.write(encodeCommand(args))
    })
  }

  close (): void {
    this.fail(new Error('the connection was closed'))
  }

  private received (value: RespValue): void {
    if (Array.isArray(value) && value.length === 3 && Buffer.isBuffer(value[0]) && value[0].equals(MESSAGE)) {
      this.onMessage(String(value[1]), value[2]!)
      return
    }
    const request = this.pending.shift()
    if (!request) {
      this.fail(new Error('a reply that nothing asked for'))
      return
    }
    clearTimeout(request.timer)
    if (value instanceof RespError) request.reject(value)
    else request.resolve(value)
  }

  private fail (err: Error): void {
    if (this.failure) return
    this.failure = err
    redisLog('subscriber connection: %s', err.message)
    this.socket.destroy()
    for (const request of this.pending.splice(0)) {
      clearTimeout(request.timer)
      request.reject(err)
    }
    this.ended(err)
  }
}
