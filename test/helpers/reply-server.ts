import net from 'node:net'
import Redis from 'ioredis'
import { RespReader, ValueVisitor } from '../../src/redis/resp-reader'

/**
 * A loopback server that speaks just enough RESP for ioredis to raise its own errors, with no
 * redis-server: `ERROR text` is answered with the error reply `-text`, `HANG` never, anything
 * else +OK. The errors a test gets are the ones ioredis makes of real replies.
 */
export interface ReplyServer {
  port: number
  /** A client with the given command timeout (none: wait forever), no retries and no queue. */
  client (commandTimeout?: number): Promise<Redis>
  close (): Promise<void>
}

export async function startReplyServer (): Promise<ReplyServer> {
  const sockets = new Set<net.Socket>()
  const clients: Redis[] = []
  const server = net.createServer(socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => undefined)
    const reader = new RespReader(() => new ValueVisitor(value => {
      const [name, text] = (Array.isArray(value) ? value : []).map(part => Buffer.isBuffer(part) ? part.toString() : String(part))
      if (name?.toUpperCase() === 'HANG') return
      socket.write(name?.toUpperCase() === 'ERROR' ? `-${text ?? ''}\r\n` : '+OK\r\n')
    }))
    socket.on('data', chunk => reader.feed(chunk))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    async client (commandTimeout?: number) {
      const redis = new Redis({
        host: '127.0.0.1', port, lazyConnect: true, enableReadyCheck: false, enableOfflineQueue: false,
        maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout
      })
      redis.on('error', () => undefined)
      clients.push(redis)
      await redis.connect()
      return redis
    },
    async close () {
      for (const redis of clients.splice(0)) redis.disconnect()
      for (const socket of sockets) socket.destroy()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}

/** What `promise` rejected with; fails when it resolves. */
export async function rejection (promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}
