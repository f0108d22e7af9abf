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
