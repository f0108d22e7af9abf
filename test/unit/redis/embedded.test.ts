import { existsSync, promises as fs, readFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import Redis from 'ioredis'
import t, { Test } from 'tap'
import tmp from 'tmp'
import { CLI_CLIENT_NAME, defaultDataDir, ensureEmbeddedRedis, MOUNT_CLIENT_NAME, pingSocket, socketPathOf, stopEmbeddedIfUnused } from '../../../src/redis/embedded'
import { startRedis, waitFor } from '../../../scripts/support/redis-server'
import { environment } from '../../helpers/environment'

// The embedded redis-server on real unix sockets: its directory, found or started once, the start lock, stopped by its last user.

/**
 * The redis-servers serving the socket of `dir`, by pid, found by the title redis-server gives
 * itself ("redis-server unixsocket:PATH"): the test's own, as `dir` is a temporary directory of its own.
 */
async function serversOf (dir: string): Promise<number[]> {
  const title = `redis-server unixsocket:${socketPathOf(dir)}`
  const pids: number[] = []
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const cmdline = await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')
    if (cmdline.replace(/\0/g, ' ').trim() === title) pids.push(Number(entry))
  }
  return pids
}

/** The pid the embedded server of `dir` wrote. */
const pidOf = (dir: string): number => Number(readFileSync(path.join(dir, 'redis.pid'), 'utf8').trim())

/** A data directory for the test; the embedded servers started there are stopped when the test ends. */
function dataDirFor (t: Test, dir = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-embedded-' }).name): string {
  t.teardown(async () => {
    for (const pid of await serversOf(dir)) process.kill(pid, 'SIGTERM')
    await waitFor(async () => (await serversOf(dir)).length === 0, 5000, 'the embedded servers to stop')
  })
  return dir
}

/** A client of the embedded server of `dir`, named as dnpipes names its own; disconnected when the test ends. */
async function clientOf (t: Test, dir: string, name: string): Promise<Redis> {
  const client = new Redis({ path: socketPathOf(dir), connectionName: name, lazyConnect: true, retryStrategy: () => null })
  client.on('error', () => undefined)
  t.teardown(() => client.disconnect())
  await client.connect()
  return client
}

/** A unix socket server that does what `answer` says with each connection; closed when the test ends. */
async function socketServer (t: Test, file: string, answer: (socket: net.Socket) => void): Promise<void> {
  const connections = new Set<net.Socket>()
  const server = net.createServer(socket => {
    connections.add(socket)
    socket.on('close', () => connections.delete(socket))
    answer(socket)
  })
  await new Promise<void>(resolve => server.listen(file, resolve))
  t.teardown(() => new Promise<void>(resolve => {
    server.close(() => resolve())
    for (const socket of connections) socket.destroy()
  }))
}

t.test('the data directory: $XDG_STATE_HOME/dnpipes, else ~/.local/state/dnpipes; the socket in it, by an absolute path', async t => {
  environment(t, { XDG_STATE_HOME: '/var/lib/someone' })
  t.equal(defaultDataDir(), '/var/lib/someone/dnpipes')
  process.env.XDG_STATE_HOME = ''
  t.equal(defaultDataDir(), path.join(os.homedir(), '.local', 'state', 'dnpipes'), 'an empty variable counts as unset')
  t.equal(socketPathOf('/srv/d/'), '/srv/d/redis.sock')
  t.equal(socketPathOf('rel/dir'), path.join(process.cwd(), 'rel/dir/redis.sock'))
})

t.test('pingSocket: true only when a Redis answers PONG on the socket', async t => {
  const dir = tmp.dirSync({ unsafeCleanup: true }).name
  t.equal(await pingSocket(path.join(dir, 'none.sock')), false, 'no socket')
  await fs.writeFile(path.join(dir, 'file.sock'), '')
  t.equal(await pingSocket(path.join(dir, 'file.sock')), false, 'a plain file')
  const redis = await startRedis({ persistence: false, args: ['--unixsocket', path.join(dir, 'redis.sock')] })
  t.teardown(() => redis.stop())
  t.equal(await pingSocket(path.join(dir, 'redis.sock')), true, 'a redis-server')
  await socketServer(t, path.join(dir, 'refuses.sock'), socket => socket.end('-NOAUTH Authentication required.\r\n'))
  t.equal(await pingSocket(path.join(dir, 'refuses.sock')), false, 'an error reply')
  await socketServer(t, path.join(dir, 'closes.sock'), socket => socket.destroy())
  t.equal(await pingSocket(path.join(dir, 'closes.sock')), false, 'a server that hangs up')
  await socketServer(t, path.join(dir, 'silent.sock'), () => undefined)
  t.equal(await pingSocket(path.join(dir, 'silent.sock'), 100), false, 'a server that says nothing, after the timeout')
})

t.test('ensureEmbeddedRedis starts one server in the data directory, its own alone, however many ask at once', async t => {
  const dir = dataDirFor(t, path.join(tmp.dirSync({ unsafeCleanup: true }).name, 'state'))
  const sockets = await Promise.all(Array.from({ length: 4 }, () => ensureEmbeddedRedis(dir)))
  const socket = path.join(dir, 'redis.sock')
  t.same(sockets, [socket, socket, socket, socket])
  const servers = await serversOf(dir)
  t.equal(servers.length, 1, 'one server started')
  t.equal(await pingSocket(socket), true)
  t.equal((await fs.stat(dir)).mode & 0o777, 0o700, 'the directory is made for its owner alone')
  t.equal((await fs.stat(socket)).mode & 0o777, 0o700, 'so is the socket')
  t.notOk(existsSync(path.join(dir, 'start.lock')), 'the start lock is released')
  t.equal(pidOf(dir), servers[0], 'its pid written in the directory')
  const client = await clientOf(t, dir, 'probe')
  t.same(await client.config('GET', 'appendonly'), ['appendonly', 'yes'], 'with AOF persistence')
  t.same(await client.config('GET', 'dir'), ['dir', dir], 'in the data directory')
  t.same(await client.config('GET', 'port'), ['port', '0'], 'on no TCP port')
  t.equal(await ensureEmbeddedRedis(dir), socket, 'asked again: the same socket')
  t.same(await serversOf(dir), servers, 'and the same server')
})

t.test('what a dead server left is cleared: its socket file, and a start lock older than 10 s', async t => {
  const dir = dataDirFor(t)
  await fs.writeFile(path.join(dir, 'redis.sock'), 'left over')
  const stale = path.join(dir, 'start.lock')
  await fs.writeFile(stale, '')
  const longAgo = new Date(Date.now() - 60_000)
  await fs.utimes(stale, longAgo, longAgo)
  const socket = await ensureEmbeddedRedis(dir)
  t.equal(await pingSocket(socket), true, 'started all the same')
  t.notOk(existsSync(stale), 'the stale lock is gone')
})

t.test('a start lock held by another dnpipes is waited for; the server starts once it is released', async t => {
  const dir = dataDirFor(t)
  const lock = path.join(dir, 'start.lock')
  await fs.writeFile(lock, '')
  let settled = false
  const starting = ensureEmbeddedRedis(dir).finally(() => { settled = true })
  // Not a wait for something: a window in which a start that ignored the lock would show (one takes ~20 ms).
  await new Promise(resolve => setTimeout(resolve, 300))
  t.notOk(settled, 'waiting while the lock is held')
  t.notOk(existsSync(path.join(dir, 'redis.sock')), 'and nothing started')
  await fs.rm(lock)
  t.equal(await pingSocket(await starting), true, 'started once released')
})

t.test('redis-server missing or failing: a clear error, and the lock released', async t => {
  const empty = tmp.dirSync({ unsafeCleanup: true }).name
  const missing = dataDirFor(t)
  const saved = process.env.PATH
  process.env.PATH = empty
  try {
    await t.rejects(ensureEmbeddedRedis(missing), { message: 'redis-server is not installed: run `apt-get install redis-server`, or pass --redis URL' })
  } finally {
    process.env.PATH = saved
  }
  t.notOk(existsSync(path.join(missing, 'start.lock')), 'no lock left to make the next start wait')

  // The log file cannot be opened (a directory is in its place): redis-server exits at once.
  const failing = dataDirFor(t)
  await fs.mkdir(path.join(failing, 'redis.log'))
  await t.rejects(ensureEmbeddedRedis(failing), { message: `redis-server exited with code 1; see ${path.join(failing, 'redis.log')}` })
  t.notOk(existsSync(path.join(failing, 'start.lock')))
})

t.test('stopEmbeddedIfUnused: not while a mount or another command uses the server; the last user stops it', async t => {
  const dir = dataDirFor(t)
  const socket = await ensureEmbeddedRedis(dir)
  const mount = await clientOf(t, dir, MOUNT_CLIENT_NAME)
  const other = await clientOf(t, dir, CLI_CLIENT_NAME)
  await clientOf(t, dir, 'redis-cli')
  const own = await clientOf(t, dir, CLI_CLIENT_NAME)
  t.equal(await stopEmbeddedIfUnused(own, socket), false, 'a mount and another command use it')
  mount.disconnect()
  await waitFor(async () => !String(await own.client('LIST')).includes(`name=${MOUNT_CLIENT_NAME} `), 5000, 'the mount to leave')
  t.equal(await stopEmbeddedIfUnused(own, socket), false, 'another command uses it')
  t.equal(await pingSocket(socket), true)
  other.disconnect()
  await waitFor(async () => String(await own.client('LIST')).split(`name=${CLI_CLIENT_NAME} `).length === 2, 5000, 'the other command to leave')
  t.equal(await stopEmbeddedIfUnused(own, socket), true, 'its own connection and a client of another name do not count')
  t.equal(await pingSocket(socket), false, 'the server is stopped')
  await waitFor(async () => own.status === 'end', 2000, 'the caller\'s client to be closed')
  t.ok(existsSync(path.join(dir, 'appendonlydir')), 'its AOF kept in the data directory')
})
