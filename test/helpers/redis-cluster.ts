import { ChildProcess, spawn } from 'node:child_process'
import Redis, { Cluster } from 'ioredis'
import tmp from 'tmp'
import { run, track } from './processes'
import { freePort, waitFor } from './redis-server'

export interface RedisCluster {
  ports: number[]
  /** "127.0.0.1:P1,127.0.0.1:P2,…" */
  seeds: string
  client (): Cluster
  stop (): Promise<void>
}

/** A real Redis Cluster of `masters` masters (no replicas) on free loopback ports. */
export async function startCluster (masters = 3): Promise<RedisCluster> {
  const dir = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-cluster-' })
  const ports: number[] = []
  while (ports.length < masters) {
    const port = await freePort() // at most 55535: the bus listens on port + 10000
    if (!ports.includes(port)) ports.push(port)
  }
  const children: ChildProcess[] = ports.map(port => track(spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
    '--cluster-config-file', `${dir.name}/nodes-${port}.conf`, '--dir', dir.name, '--dbfilename', `dump-${port}.rdb`,
    '--appendonly', 'no', '--save', '', '--cluster-node-timeout', '2000'
  ], { stdio: 'ignore' })))
  for (const port of ports) {
    await waitFor(async () => (await run('redis-cli', ['-p', String(port), 'ping'])).stdout.toString().trim() === 'PONG', 5000, `cluster node ${port}`)
  }
  const created = await run('redis-cli', ['--cluster', 'create', ...ports.map(port => `127.0.0.1:${port}`), '--cluster-yes'])
  if (created.code !== 0) throw new Error(`redis-cli --cluster create: ${created.stdout.toString()}${created.stderr}`)
  for (const port of ports) {
    await waitFor(async () => /cluster_state:ok/.test((await run('redis-cli', ['-p', String(port), 'cluster', 'info'])).stdout.toString()), 10_000, 'cluster_state:ok')
  }
  const clients: Cluster[] = []
  return {
    ports,
    seeds: ports.map(port => `127.0.0.1:${port}`).join(','),
    client () {
      const client = new Redis.Cluster(ports.map(port => ({ host: '127.0.0.1', port })))
      client.on('error', () => undefined)
      clients.push(client)
      return client
    },
    async stop () {
      for (const client of clients.splice(0)) client.disconnect()
      await Promise.all(children.map(child => child.exitCode !== null || child.signalCode !== null
        ? undefined
        : new Promise<void>(resolve => { child.once('exit', () => resolve()); child.kill('SIGTERM') })))
      dir.removeCallback()
    }
  }
}
