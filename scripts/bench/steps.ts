import { Result, run, RunOptions, sh } from '../support/processes'
import { RedisServer } from '../support/redis-server'

/** Far beyond any step of a full run, so that only a hung step fails on time. */
const STEP_TIMEOUT_MS = 600_000

/** A shell command that must succeed: a failed workload must not pass for a fast one. */
export async function must (script: string, options: RunOptions = {}): Promise<Result> {
  const result = await sh(script, { timeoutMs: STEP_TIMEOUT_MS, ...options })
  if (result.code !== 0) throw new Error(`benchmark step failed (${result.code}): ${script}\n${result.stderr}`)
  return result
}

/** redis-benchmark's requests per second for one command (-q prints "CMD: N requests per second"). */
export async function redisBenchmark (server: RedisServer, requests: number, pipeline: number, command: string[]): Promise<number> {
  const result = await run('redis-benchmark', ['-h', '127.0.0.1', '-p', String(server.port), '-n', String(requests), '-P', String(pipeline), '-q', ...command], { timeoutMs: STEP_TIMEOUT_MS })
  const rate = /([\d.]+) requests per second/.exec(result.stdout.toString())?.[1]
  if (result.code !== 0 || !rate) throw new Error(`redis-benchmark failed: ${result.stdout.toString()} ${result.stderr}`)
  return Number(rate)
}

/**
 * Makes every mount of `server` hold no stat of a topic, as when other hosts changed them all:
 * each mount's tracked stats connection is cut, and its next stats ask Redis (see
 * src/topics/redis/tracked-stats.ts). For the first, cold, figures of S2 and S3.
 */
export async function dropHeldStats (server: RedisServer): Promise<void> {
  const admin = server.client()
  try {
    const clients = (await admin.client('LIST') as string).split('\n')
    const ids = clients.filter(line => / name=\S+-stats /.test(line)).map(line => /^id=(\d+)/.exec(line)![1]!)
    for (const id of ids) await admin.client('KILL', 'ID', id)
  } finally {
    admin.disconnect()
  }
}
