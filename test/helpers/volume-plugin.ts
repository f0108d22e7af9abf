import { ChildProcess, spawn } from 'node:child_process'
import http from 'node:http'
import { CLI } from '../../scripts/support/mount'
import { track } from '../../scripts/support/processes'
import { waitFor } from '../../scripts/support/redis-server'

export interface PluginReply {
  status: number
  body: Record<string, unknown>
}

/** One request of Docker's volume plugin protocol, as an engine sends it. */
export function pluginCall (socketPath: string, endpoint: string, body: unknown = {}, raw?: string, method = 'POST'): Promise<PluginReply> {
  return new Promise((resolve, reject) => {
    const request = http.request({ socketPath, path: `/${endpoint}`, method, headers: { 'Content-Type': 'application/json' } }, response => {
      let text = ''
      response.setEncoding('utf8').on('data', chunk => { text += chunk })
      response.on('end', () => {
        try {
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) })
        } catch (err) {
          reject(new Error(`not JSON from ${endpoint}: ${text}`))
        }
      })
    })
    request.on('error', reject)
    request.end(raw ?? JSON.stringify(body))
  })
}

export interface RunningDriver {
  process: ChildProcess
  output: () => string
  /** SIGTERM, and waits for it to exit. */
  stop: () => Promise<void>
}

/** `dnpipes volume-driver` with `args`, once it serves its socket. */
export async function startDriver (socketPath: string, args: string[]): Promise<RunningDriver> {
  const driver = track(spawn(process.execPath, [CLI, 'volume-driver', '--socket', socketPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }))
  let output = ''
  driver.stdout!.on('data', chunk => { output += chunk })
  driver.stderr!.on('data', chunk => { output += chunk })
  const exited = new Promise<void>(resolve => driver.once('exit', () => resolve()))
  await waitFor(async () => {
    if (driver.exitCode !== null) throw new Error(`the volume driver exited: ${output}`)
    return output.includes('dnpipes: volume driver on')
  }, 10_000, 'the volume driver to serve its socket')
  return {
    process: driver,
    output: () => output,
    stop: async () => {
      if (driver.exitCode === null) driver.kill('SIGTERM')
      await exited
    }
  }
}
