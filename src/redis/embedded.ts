import { spawn } from 'node:child_process'
import { promises as fs } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { RedisClient } from './connect'
import { redisLog } from '../log'
import { pollUntil, sleep } from '../util/deadline'

/**
 * The embedded default: a redis-server owned by dnpipes, listening only on a unix socket in its
 * data directory, with AOF persistence there. The first local mount (or CLI command) starts it;
 * it keeps running while any mount uses it, and the last mount to exit shuts it down.
 */

/** A local server answers PING on its socket at once; silence this long means none is there. */
const PING_TIMEOUT_MS = 500
/** Another dnpipes starting the server holds the lock for at most START_TIMEOUT_MS: wait 10 s in all. */
const LOCK_ATTEMPTS = 200
const LOCK_POLL_MS = 50
/** A start lock older than this was left by a process that died while starting the server. */
const STALE_LOCK_MS = 10_000
/** A redis-server with an AOF of a few hundred MB starts within this; beyond it something is wrong. */
const START_TIMEOUT_MS = 5000
/** How often a starting server is asked whether it answers. */
const START_POLL_MS = 50
/** How long a SHUTDOWN (which writes the AOF) may take before the caller goes on. */
const SHUTDOWN_TIMEOUT_MS = 5000
const SHUTDOWN_POLL_MS = 25

export const MOUNT_CLIENT_NAME = 'dnpipes-mount'
export const CLI_CLIENT_NAME = 'dnpipes-cli'

export function defaultDataDir (): string {
  const state = process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state')
  return path.join(state, 'dnpipes')
}

export function socketPathOf (dataDir: string): string {
  return path.join(path.resolve(dataDir), 'redis.sock')
}

/** Resolves true when a Redis server answers PING on the socket. */
export function pingSocket (socketPath: string, timeoutMs = PING_TIMEOUT_MS): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect(socketPath)
    const done = (ok: boolean): void => { socket.destroy(); clearTimeout(timer); resolve(ok) }
    const timer = setTimeout(() => done(false), timeoutMs)
    let reply = ''
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', chunk => { reply += chunk.toString(); if (reply.includes('\r\n')) done(reply.startsWith('+PONG')) })
    socket.on('error', () => done(false))
  })
}

async function takeStartLock (lockPath: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
    try {
      const handle = await fs.open(lockPath, 'wx')
      await handle.close()
      return () => fs.rm(lockPath, { force: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const stat = await fs.stat(lockPath).catch(() => undefined)
      if (stat && Date.now() - stat.mtimeMs > STALE_LOCK_MS) await fs.rm(lockPath, { force: true })
      await sleep(LOCK_POLL_MS)
    }
  }
  throw new Error(`another dnpipes is starting the embedded Redis (lock ${lockPath})`)
}

/** Starts the embedded server unless it already runs; returns its socket path. */
export async function ensureEmbeddedRedis (dataDir: string, startTimeoutMs = START_TIMEOUT_MS): Promise<string> {
  const dir = path.resolve(dataDir)
  const socketPath = socketPathOf(dir)
  if (await pingSocket(socketPath)) return socketPath
  await fs.mkdir(dir, { recursive: true, mode: 0o700 })
  const release = await takeStartLock(path.join(dir, 'start.lock'))
  try {
    if (await pingSocket(socketPath)) return socketPath
    await fs.rm(socketPath, { force: true })
    const args = [
      '--port', '0', '--unixsocket', socketPath, '--unixsocketperm', '700',
      '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '',
      '--daemonize', 'no', '--logfile', path.join(dir, 'redis.log'), '--pidfile', path.join(dir, 'redis.pid')
    ]
    redisLog('starting redis-server %s', args.join(' '))
    const child = spawn('redis-server', args, { detached: true, stdio: 'ignore' })
    let failure: Error | undefined
    child.on('error', err => {
      failure = (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? new Error('redis-server is not installed: run `apt-get install redis-server`, or pass --redis URL')
        : err
    })
    child.on('exit', code => { failure ??= new Error(`redis-server exited with code ${code}; see ${path.join(dir, 'redis.log')}`) })
    child.unref()
    const answered = await pollUntil(async () => {
      if (failure) throw failure
      return await pingSocket(socketPath)
    }, { timeoutMs: startTimeoutMs, intervalMs: START_POLL_MS })
    if (answered) return socketPath
    throw failure ?? new Error(`redis-server did not answer on ${socketPath} within ${startTimeoutMs} ms`)
  } finally {
    await release()
  }
}

/** Shuts the embedded server down when no other mount or CLI command is connected to it. */
export async function stopEmbeddedIfUnused (redis: RedisClient, socketPath: string): Promise<boolean> {
  const ownId = String(await redis.client('ID'))
  const clients = String(await redis.client('LIST'))
  const others = clients.split('\n').filter(line =>
    (line.includes(` name=${MOUNT_CLIENT_NAME} `) || line.includes(` name=${CLI_CLIENT_NAME} `)) && !line.startsWith(`id=${ownId} `))
  if (others.length > 0) return false
  redisLog('last user of the embedded Redis: shutting it down')
  // The server closes the connection instead of replying: do not wait for a reply, wait for it
  // to stop answering on its socket.
  redis.call('SHUTDOWN').catch(() => undefined)
  await pollUntil(async () => !await pingSocket(socketPath), { timeoutMs: SHUTDOWN_TIMEOUT_MS, intervalMs: SHUTDOWN_POLL_MS })
  redis.disconnect()
  return true
}
