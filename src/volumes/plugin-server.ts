import { promises as fs } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import { volumesLog } from '../log'
import type { RequestBody, VolumeDriver } from './volume-driver'

/** What Docker's plugin protocol calls its media type. */
export const PLUGIN_CONTENT_TYPE = 'application/vnd.docker.plugins.v1.2+json'
/** No request of the protocol comes near this; a larger one is refused unread. */
const MAX_BODY_BYTES = 64 * 1024

export interface SocketAccess {
  /** A group whose members may use the socket too (mode 0660); root alone otherwise (0600). */
  gid?: number
}

export interface PluginServer {
  socketPath: string
  close (): Promise<void>
}

/**
 * Serves `driver` on the unix socket `socketPath`: HTTP POSTs of JSON, one per endpoint, each
 * answered with JSON; a refusal with status 500 and `{"Err": "…"}`, as Docker and Podman read
 * it. Whoever can talk to the socket can mount any namespace of the store, so it is made
 * root's alone (or a named group's), in a directory only its owner can write; a socket left by
 * a driver that died is replaced, one that a live driver serves is not.
 */
export async function servePlugin (socketPath: string, driver: VolumeDriver, access: SocketAccess = {}): Promise<PluginServer> {
  await prepareDirectory(path.dirname(socketPath))
  await replaceStaleSocket(socketPath)
  const server = http.createServer((request, response) => { answer(driver, request, response) })
  const umask = process.umask(0o177)
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(socketPath, () => { server.off('error', reject); resolve() })
    })
  } finally {
    process.umask(umask)
  }
  if (access.gid !== undefined) {
    await fs.chown(socketPath, process.getuid!(), access.gid)
    await fs.chmod(socketPath, 0o660)
  }
  return {
    socketPath,
    close: async () => {
      await new Promise<void>(resolve => server.close(() => resolve()))
      await fs.rm(socketPath, { force: true })
    }
  }
}

async function prepareDirectory (dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o755 })
  const stat = await fs.stat(dir)
  if (stat.uid !== process.getuid!() || (stat.mode & 0o022) !== 0) {
    throw new Error(`${dir} may be written by others than its owner (uid ${stat.uid}, mode ${(stat.mode & 0o777).toString(8)}): the socket must be in a directory only this user can write`)
  }
}

async function replaceStaleSocket (socketPath: string): Promise<void> {
  const existing = await fs.lstat(socketPath).catch(() => undefined)
  if (existing === undefined) return
  if (!existing.isSocket()) throw new Error(`${socketPath} exists and is not a socket`)
  const live = await new Promise<boolean>(resolve => {
    const probe = net.connect(socketPath)
    probe.once('connect', () => { probe.destroy(); resolve(true) })
    probe.once('error', () => resolve(false))
  })
  if (live) throw new Error(`${socketPath} is served by another process (a volume driver already running?)`)
  await fs.rm(socketPath, { force: true })
}

function answer (driver: VolumeDriver, request: http.IncomingMessage, response: http.ServerResponse): void {
  const reply = (status: number, body: Record<string, unknown>): void => {
    response.writeHead(status, { 'Content-Type': PLUGIN_CONTENT_TYPE })
    response.end(JSON.stringify(body))
  }
  if (request.method !== 'POST') return reply(405, { Err: `${request.method ?? 'a request'} is not POST` })
  const endpoint = (request.url ?? '').replace(/^\//, '')
  const chunks: Buffer[] = []
  let length = 0
  request.on('data', (chunk: Buffer) => {
    length += chunk.length
    if (length > MAX_BODY_BYTES) {
      reply(413, { Err: `request body over ${MAX_BODY_BYTES} bytes` })
      request.destroy()
      return
    }
    chunks.push(chunk)
  })
  request.on('end', () => {
    if (length > MAX_BODY_BYTES) return
    let body: RequestBody
    try {
      body = parseBody(Buffer.concat(chunks).toString('utf8'))
    } catch (err) {
      return reply(400, { Err: (err as Error).message })
    }
    driver.handle(endpoint, body).then(result => reply(200, result), (err: Error) => {
      volumesLog('/%s refused: %s', endpoint, err.message)
      reply(500, { Err: err.message })
    })
  })
}

/** A request's JSON: an object, or nothing at all (List and Capabilities may come empty). */
export function parseBody (text: string): RequestBody {
  if (text.trim() === '') return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new Error(`malformed JSON: ${(err as Error).message}`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('the request body must be a JSON object')
  return value as RequestBody
}
