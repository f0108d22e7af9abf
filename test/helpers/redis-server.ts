import { ChildProcess, spawn } from 'node:child_process'
import net from 'node:net'
import Redis from 'ioredis'
import tmp from 'tmp'
import { track } from './processes'

/** A free loopback TCP port (below 55535, so that a cluster bus port fits too). */
export async function freePort (): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer()
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => {
        const address = server.address() as net.AddressInfo
        server.close(() => resolve(address.port))
      })
    })
    if (port <= 55535) return port
  }
}

export async function waitFor (check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await new Promise(resolve => setTimeout(resolve, 25))
  }
  throw new Error(`timed out waiting for ${what}`)
}

export interface RedisServer {
  port: number
  url: string
  dir: string
  /** A client for the test's own checks (XREAD, XADD, …). */
  client (): Redis
  stop (signal?: NodeJS.Signals): Promise<void>
  start (): Promise<void>
}

export interface StartOptions {
  /** AOF with fsync always (the default, for tests of what survives a restart), or none. */
  persistence?: boolean
  /** Addresses to listen on besides 127.0.0.1 (test hosts' gateways). */
  bind?: string[]
}

/** A real redis-server on a free loopback port, with AOF in a temporary directory. */
export async function startRedis (options: StartOptions = {}): Promise<RedisServer> {
  const persistence = options.persistence ?? true
  const port = await freePort()
  const dir = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-redis-' })
  const clients: Redis[] = []
  let child: ChildProcess | undefined

  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir: dir.name,
    client () {
      const client = new Redis(port, '127.0.0.1', { lazyConnect: false, maxRetriesPerRequest: 3 })
      client.on('error', () => undefined)
      clients.push(client)
      return client
    },
    async start () {
      child = track(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...(options.bind ?? []), '--protected-mode', 'no', '--dir', dir.name,
        '--appendonly', persistence ? 'yes' : 'no', '--appendfsync', 'always', '--save', '', '--daemonize', 'no'], { stdio: 'ignore' }))
      await waitFor(async () => {
        const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 })
        probe.on('error', () => undefined)
        try {
          await probe.connect()
          return (await probe.ping()) === 'PONG'
        } finally {
          probe.disconnect()
        }
      }, 5000, `redis-server on port ${port}`)
    },
    async stop (signal = 'SIGTERM') {
      for (const client of clients.splice(0)) client.disconnect()
      const running = child
      if (!running || running.exitCode !== null || running.signalCode !== null) return
      await new Promise<void>(resolve => { running.once('exit', () => resolve()); running.kill(signal) })
    }
  }
  await server.start()
  return server
}
