import type { Redis, RedisOptions } from 'ioredis'
import net from 'node:net'
import tls from 'node:tls'
import { redisLog } from '../log'
import { DeadlineError } from '../util/deadline'
import { encodeCommand, ReplyVisitor, RespError, RespReader, RespValue, ValueVisitor } from './resp-reader'

/** Where one Redis node is and how to log in: taken from a connected ioredis client's options. */
export interface RawAddress {
  host?: string
  port?: number
  path?: string
  tls?: tls.ConnectionOptions
  username?: string
  password?: string
  db?: number
  name: string
}

interface InFlight {
  /** Replies still to come. */
  replies: number
  resolve: () => void
  reject: (err: Error) => void
}

/**
 * A plain Redis connection whose replies go to visitors token by token (see resp-reader.ts).
 * It serves the one request that ioredis makes slow: pages of stream entries, which ioredis
 * turns into several objects per entry. It never reconnects: a broken or timed-out connection
 * fails what is pending and is replaced by its owner.
 */
export class RawConnection {
  /** Visitors of the replies not started yet, in request order. */
  private readonly visitors: ReplyVisitor[] = []
  /** Requests sent and not fully answered, in order; the deadline runs while there are any. */
  private readonly requests: InFlight[] = []
  private readonly reader = new RespReader(() => {
    const next = this.visitors.shift()
    if (!next) throw new Error('a reply that nothing asked for')
    return next
  }, () => this.replied())

  private failure: Error | undefined
  private timer: NodeJS.Timeout | undefined

  private constructor (private readonly socket: net.Socket, private readonly timeoutMs: number, onData?: (bytes: number) => void) {
    readReplies(socket, this.reader, err => this.fail(err), onData)
  }

  /** `onData` hears of every chunk received (to pace garbage collection, see page-garbage.ts). */
  static async open (address: RawAddress, timeoutMs: number, onData?: (bytes: number) => void): Promise<RawConnection> {
    return await openConnection(address, timeoutMs, socket => new RawConnection(socket, timeoutMs, onData), async (connection, handshake) => {
      for (const reply of await connection.values(handshake)) {
        if (reply instanceof RespError) throw reply
      }
    })
  }

  get broken (): boolean {
    return this.failure !== undefined
  }

  /** Sends the commands at once; each reply goes to its visitor. Resolves when all are done. */
  send (commands: ReadonlyArray<ReadonlyArray<string | number | Buffer>>, visitors: ReplyVisitor[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure)
    return new Promise<void>((resolve, reject) => {
      this.visitors.push(...visitors)
      this.requests.push({ replies: visitors.length, resolve, reject })
      this.startTimer()
      this.socket.write(Buffer.concat(commands.map(encodeCommand)))
    })
  }

  /** One reply is complete. It restarts the deadline, which bounds a silence, not a long page. */
  private replied (): void {
    this.stopTimer()
    const request = this.requests[0]!
    if (--request.replies === 0) {
      this.requests.shift()
      request.resolve()
    }
    if (this.requests.length > 0) this.startTimer()
  }

  /** Sends the commands and returns their replies as plain values. */
  async values (commands: ReadonlyArray<ReadonlyArray<string | number | Buffer>>): Promise<RespValue[]> {
    const replies: RespValue[] = []
    await this.send(commands, commands.map((_command, index) => new ValueVisitor(value => { replies[index] = value })))
    return replies
  }

  close (): void {
    this.fail(new Error('the connection was closed'))
  }

  private startTimer (): void {
    if (this.timer) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.fail(new DeadlineError('a page request', this.timeoutMs))
    }, this.timeoutMs)
  }

  private stopTimer (): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private fail (err: Error): void {
    if (this.failure) return
    this.failure = err
    this.stopTimer()
    redisLog('page connection: %s', err.message)
    this.socket.destroy()
    this.visitors.length = 0
    for (const request of this.requests.splice(0)) request.reject(err)
  }
}

/**
 * The server a connected standalone or Sentinel client talks to now, for a connection of its
 * own named `<client's name>-<suffix>`; undefined while it is not connected.
 */
export function connectedAddress (redis: Redis, suffix: string): RawAddress | undefined {
  if (redis.status !== 'ready') return undefined
  if (redis.options.sentinels && redis.options.sentinels.length > 0) {
    // The master Sentinel named last: the address ioredis is connected to.
    const stream = redis.stream as { remoteAddress?: string, remotePort?: number } | undefined
    if (!stream?.remoteAddress || !stream.remotePort) return undefined
    return addressFrom(redis.options, stream.remoteAddress, stream.remotePort, suffix)
  }
  return addressFrom(redis.options, redis.options.host, redis.options.port, suffix)
}

/** The address of a server at `host`:`port` (or options.path), with the client's credentials and database. */
export function addressFrom (options: RedisOptions, host: string | undefined, port: number | undefined, suffix: string): RawAddress {
  return {
    path: options.path,
    host,
    port,
    tls: options.tls,
    username: options.username,
    password: options.password,
    db: options.db,
    name: `${options.connectionName ?? 'dnpipes'}-${suffix}`
  }
}

/**
 * Feeds what `socket` receives to `reader` (telling `onData` of each chunk's size first); bytes
 * that are not RESP, a socket error and the socket's close each fail the connection.
 */
export function readReplies (socket: net.Socket, reader: RespReader, fail: (err: Error) => void, onData?: (bytes: number) => void): void {
  socket.setNoDelay(true)
  socket.on('data', chunk => {
    onData?.(chunk.length)
    try {
      reader.feed(chunk)
    } catch (err) {
      fail(err as Error)
    }
  })
  socket.on('error', err => fail(err))
  socket.on('close', () => fail(new Error('the connection closed')))
}

/** What a new connection to `address` sends first: log in, choose the database, say its name. */
function handshakeOf (address: RawAddress): Array<Array<string | number>> {
  const handshake: Array<Array<string | number>> = []
  // ioredis keeps absent credentials as null.
  if (address.password) {
    handshake.push(address.username ? ['AUTH', address.username, address.password] : ['AUTH', address.password])
  }
  if (address.db) handshake.push(['SELECT', address.db])
  handshake.push(['CLIENT', 'SETNAME', address.name])
  return handshake
}

/**
 * A connection to `address`: its socket, connected within `timeoutMs`, made into a connection
 * by `wrap`, which `logIn` sends the handshake commands through. Closed when that fails.
 */
export async function openConnection<T extends { close: () => void }> (
  address: RawAddress,
  timeoutMs: number,
  wrap: (socket: net.Socket) => T,
  logIn: (connection: T, handshake: Array<Array<string | number>>) => Promise<void>
): Promise<T> {
  const connection = wrap(await connectSocket(address, timeoutMs))
  try {
    await logIn(connection, handshakeOf(address))
    return connection
  } catch (err) {
    connection.close()
    throw err
  }
}

/** A socket to `address`, connected within `timeoutMs`. */
function connectSocket (address: RawAddress, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    let socket: net.Socket
    const ready = (): void => {
      clearTimeout(timer)
      socket.removeListener('error', failed)
      resolve(socket)
    }
    const failed = (err: Error): void => {
      clearTimeout(timer)
      socket.destroy()
      reject(err)
    }
    if (address.path) socket = net.connect({ path: address.path }, ready)
    else if (address.tls) socket = tls.connect({ ...address.tls, host: address.host, port: address.port }, ready)
    else socket = net.connect({ host: address.host, port: address.port ?? 6379 }, ready)
    socket.once('error', failed)
    const timer = setTimeout(() => failed(new DeadlineError('connecting', timeoutMs)), timeoutMs)
  })
}
