import { ChildProcess, spawn } from 'node:child_process'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import Redis from 'ioredis'
import tmp from 'tmp'
import { track } from '../../scripts/support/processes'
import { freePort, RedisServer, startRedis, waitFor } from '../../scripts/support/redis-server'

export interface SentinelSetup {
  master: RedisServer
  replica: RedisServer
  /** "127.0.0.1:PORT" of the Sentinel. */
  sentinels: string
  name: string
  /** The port of the master the Sentinel names now. */
  currentMasterPort (): Promise<number>
  stop (): Promise<void>
}

/** A master, a replica and a Sentinel watching them (down after 1 s), on loopback. */
export async function startSentinelSetup (): Promise<SentinelSetup> {
  const name = 'dnpipes-test'
  const master = await startRedis({ args: ['--repl-diskless-sync-delay', '0'] })
  const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(master.port), '--repl-diskless-sync-delay', '0'] })
  const replicaClient = replica.client()
  await waitFor(async () => /master_link_status:up/.test(await replicaClient.info('replication')), 10_000, 'the replica to sync')
  const port = await freePort()
  const dir = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-sentinel-' })
  const conf = path.join(dir.name, 'sentinel.conf')
  await fs.writeFile(conf, [
    `port ${port}`, 'bind 127.0.0.1', `dir ${dir.name}`,
    `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`,
    `sentinel down-after-milliseconds ${name} 1000`,
    `sentinel failover-timeout ${name} 5000`, ''
  ].join('\n'))
  const sentinel: ChildProcess = track(spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' }))
  const client = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => 100 })
  client.on('error', () => undefined)
  const currentMasterPort = async (): Promise<number> => {
    if (client.status === 'wait') await client.connect()
    const [, masterPort] = await client.call('SENTINEL', 'get-master-addr-by-name', name) as [string, string]
    return Number(masterPort)
  }
  await waitFor(async () => {
    const known = await client.call('SENTINEL', 'replicas', name) as unknown[]
    return (await currentMasterPort()) === master.port && known.length === 1
  }, 10_000, 'the Sentinel to see the master and its replica')
  return {
    master,
    replica,
    sentinels: `127.0.0.1:${port}`,
    name,
    currentMasterPort,
    async stop () {
      client.disconnect()
      if (sentinel.exitCode === null && sentinel.signalCode === null) {
        await new Promise<void>(resolve => { sentinel.once('exit', () => resolve()); sentinel.kill('SIGTERM') })
      }
      await replica.stop()
      await master.stop()
      dir.removeCallback()
    }
  }
}
