import { ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import Redis from 'ioredis'
import tmp from 'tmp'
import { pollUntil } from '../../src/util/deadline'
import { track } from './processes'

/**
 * Calls of each command `node` served since its last CONFIG RESETSTAT, by name ("xrevrange",
 * "cluster|slots"), without INFO and CONFIG RESETSTAT: the counting's own.
 */
export async function commandCalls (node: Redis): Promise<Map<string, number>> {
  const info = await node.info('commandstats')
  return new Map([...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)]
    .filter(match => match[1] !== 'info' && match[1] !== 'config|resetstat')
    .map(match => [match[1]!, Number(match[2])]))
}

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

/** How often a test's condition is checked while it waits. */
const WAIT_POLL_MS = 25

/**
 * Waits until `check` is true (a failing check counts as false); throws naming `what` after
 * `timeoutMs`, also when one call of `check` never answers (a command queued by a client that
 * waits for a cluster to come back), so that a hang fails its own test by name.
 */
export async function waitFor (check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const bounded = async (): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined
    const hung = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}: a check did not answer`)), Math.max(deadline - Date.now(), 0) + WAIT_POLL_MS)
    })
    try {
      return await Promise.race([check().catch(() => false), hung])
    } finally {
      clearTimeout(timer)
    }
  }
  if (!await pollUntil(bounded, { timeoutMs, intervalMs: WAIT_POLL_MS })) throw new Error(`timed out waiting for ${what}`)
}

export interface RedisServer {
  port: number
  url: string
  dir: string
  /** A client for the caller's own checks and baselines (XREAD, XADD, …). */
  client (): Redis
  stop (signal?: NodeJS.Signals): Promise<void>
  start (): Promise<void>
}

export interface StartOptions {
  /** AOF with fsync always (the default, for tests of what survives a restart), or none. */
  persistence?: boolean
  /** Addresses to listen on besides 127.0.0.1 (test hosts' gateways). */
  bind?: string[]
  /** Serve TLS only, with these files; clients must present a certificate when asked. */
  tls?: { ca: string, cert: string, key: string, requireClientCert?: boolean }
  /** The user the helper's own clients log in as (for servers with ACL users). */
  auth?: { username: string, password: string }
  /** Further redis-server arguments (ACL users, --replicaof, …). */
  args?: string[]
}

/** A real redis-server on a free loopback port, with AOF in a temporary directory. */
export async function startRedis (options: StartOptions = {}): Promise<RedisServer> {
  const persistence = options.persistence ?? true
  const port = await freePort()
  const dir = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-redis-' })
  const clients: Redis[] = []
  let child: ChildProcess | undefined

  const tls = options.tls
  const connection = {
    host: '127.0.0.1',
    port,
    username: options.auth?.username,
    password: options.auth?.password,
    tls: tls ? { ca: readFileSync(tls.ca), cert: tls.requireClientCert ? readFileSync(tls.cert) : undefined, key: tls.requireClientCert ? readFileSync(tls.key) : undefined } : undefined
  }
  const listen = tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key,
        '--tls-ca-cert-file', tls.ca, '--tls-auth-clients', tls.requireClientCert ? 'yes' : 'no']
    : ['--port', String(port)]

  const server: RedisServer = {
    port,
    url: `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    dir: dir.name,
    client () {
      const client = new Redis({ ...connection, lazyConnect: false, maxRetriesPerRequest: 3 })
      client.on('error', () => undefined)
      clients.push(client)
      return client
    },
    async start () {
      child = track(spawn('redis-server', [...listen, '--bind', '127.0.0.1', ...(options.bind ?? []), '--protected-mode', 'no', '--dir', dir.name,
        '--appendonly', persistence ? 'yes' : 'no', '--appendfsync', 'always', '--save', '', '--daemonize', 'no', ...(options.args ?? [])], { stdio: 'ignore' }))
      await waitFor(async () => {
        const probe = new Redis({ ...connection, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 })
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
