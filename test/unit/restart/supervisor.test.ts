import { ChildProcess, spawn } from 'node:child_process'
import { existsSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import t, { Test } from 'tap'
import tmp from 'tmp'
import { HAS_RESEND_FLAG2 } from '../../../src/fuse/protocol'
import type { Negotiated } from '../../../src/fuse/session'
import type { ServerHandover } from '../../../src/restart/handover'

// superviseMount with real server processes, over a stand-in for the FUSE addon (see the scripts below).
// Waits are on events; the timeout only bounds a test whose wait never ends.
t.setTimeout(60_000)

const SUPERVISOR = path.resolve(__dirname, '../../../src/restart/supervisor.js')

/*
 * A driver script runs superviseMount in a process of its own (the mount process), with
 * DNPIPES_FUSE_ADDON naming a stand-in for the addon whose "connection" and its clones are plain
 * files. The servers it starts are a script that reports to this test over a unix socket and
 * does what the test tells it: send the mount process a message, exit, die.
 */

/** The addon's stand-in: mount, unmount and clone, each told to the test through the driver's IPC channel. */
const FAKE_ADDON = `
const fs = require('node:fs')
const path = require('node:path')
const dir = process.env.FAKE_FUSE_DIR
let clones = 0
const tell = event => process.send({ event: 'fuse', ...event })
module.exports = {
  async mount (mountpoint, options) {
    if (process.env.FAKE_FUSE_FAIL) throw Object.assign(new Error('fuse: mount failed'), { detail: process.env.FAKE_FUSE_FAIL })
    const fd = fs.openSync(path.join(dir, 'connection'), 'w')
    tell({ call: 'mount', mountpoint, options })
    return { session: { mountpoint }, fd }
  },
  async unmount (session) { tell({ call: 'unmount', mountpoint: session.mountpoint }) },
  clone (fd) {
    const name = 'clone-' + ++clones
    tell({ call: 'clone', name })
    return fs.openSync(path.join(dir, name), 'w')
  }
}
`

/** The mount process: superviseMount, its exit code (or failure) told over IPC. */
const DRIVER = `
const { superviseMount } = require(process.env.SUPERVISOR)
const tell = message => process.send(message, () => process.exit(0))
// The test gone (killed, timed out): stop as a mount process stops, servers and all.
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'))
superviseMount({ mountpoint: process.env.MOUNTPOINT, mountOptions: ['ro'], serverArgs: [process.env.SERVER_SCRIPT] })
  .then(code => tell({ event: 'result', code }), err => tell({ event: 'failed', message: err.message }))
`

/** A server: says hello with what it was given, then does what the test says, one command after another. */
const SERVER = `
const fs = require('node:fs')
const net = require('node:net')
let fd3 = null
try { fd3 = fs.readlinkSync('/proc/self/fd/3') } catch {}
const handover = JSON.parse(process.env.DNPIPES_SERVER)
const socket = net.connect(process.env.TEST_SOCKET)
const say = message => socket.write(JSON.stringify(message) + '\\n')
let exitCode = 0
socket.on('connect', () => say({ hello: { pid: process.pid, handover, fd3, stateDirExists: fs.existsSync(handover.stateDir), ipc: typeof process.send === 'function' } }))
socket.on('close', () => process.exit(exitCode))
socket.on('error', () => process.exit(exitCode))
let chain = Promise.resolve()
let text = ''
socket.on('data', chunk => {
  text += chunk
  for (let i; (i = text.indexOf('\\n')) >= 0; text = text.slice(i + 1)) {
    const command = JSON.parse(text.slice(0, i))
    chain = chain.then(() => run(command))
  }
})
async function run (command) {
  if (command.send) await new Promise(resolve => process.send(command.send, resolve))
  if (command.exit !== undefined) { exitCode = command.exit; socket.end() }
  if (command.kill) process.kill(process.pid, command.kill)
}
process.on('message', message => say({ got: message }))
process.on('SIGTERM', () => { exitCode = 0; say({ signal: 'SIGTERM' }); socket.end() })
process.on('disconnect', () => process.exit(exitCode))
`

/** Values as they come, each taken by one next(). */
class Queue<T> {
  private readonly items: T[] = []
  private readonly waiting: Array<(item: T) => void> = []
  push (item: T): void {
    const waiter = this.waiting.shift()
    if (waiter) waiter(item)
    else this.items.push(item)
  }

  next (): Promise<T> {
    const item = this.items.shift()
    return item !== undefined ? Promise.resolve(item) : new Promise(resolve => this.waiting.push(resolve))
  }

  get length (): number { return this.items.length }
}

interface Hello {
  pid: number
  handover: ServerHandover
  fd3: string | null
  stateDirExists: boolean
  ipc: boolean
}

/** One server the mount process started, as this test sees it. */
interface Server {
  hello: Hello
  /** What it reported after its hello: messages from the mount process, signals. */
  reports: Queue<{ got?: { kind: string }, signal?: string }>
  /** Everything it got from the mount process so far. */
  got: string[]
  tell (command: { send?: object, exit?: number, kill?: NodeJS.Signals }): void
  /** Whether its connection to the test closed (it exited). */
  gone: () => boolean
}

interface DriverEvent { event: string, code?: number, message?: string, call?: string, name?: string, options?: string, mountpoint?: string }

interface Mount {
  driver: ChildProcess
  mountpoint: string
  dir: string
  /** The driver's IPC messages: fuse calls, then its result. */
  events: DriverEvent[]
  servers: Queue<Server>
  /**
   * Resolves once the driver exited and its output is all in (the servers, which share it, are
   * gone too), with its last word: { event: 'result', code } or { event: 'failed', message }.
   */
  result: Promise<DriverEvent>
  stderr: () => string
  stdout: () => string
  /** Resolves once the driver's stderr (its servers' too) says what `shows` looks for. */
  stderrShows: (shows: RegExp | ((text: string) => boolean)) => Promise<void>
}

const scripts = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-supervisor-' })
t.teardown(() => scripts.removeCallback())
for (const [name, text] of Object.entries({ 'fake-addon.js': FAKE_ADDON, 'driver.js': DRIVER, 'server.js': SERVER })) writeFileSync(path.join(scripts.name, name), text)

/**
 * The socket the stand-in servers report on (see SERVER): each server that says hello is pushed
 * to `servers`, and what it reports after that to its own queue.
 */
async function serverReports (socketPath: string): Promise<{ servers: Queue<Server>, started: Server[], close: () => Promise<void> }> {
  const servers = new Queue<Server>()
  const started: Server[] = []
  const sockets = new Set<net.Socket>()
  const listener = net.createServer(socket => {
    sockets.add(socket)
    let text = ''
    let server: Server | undefined
    let closed = false
    socket.on('close', () => { closed = true })
    socket.on('data', chunk => {
      text += chunk.toString()
      for (let i; (i = text.indexOf('\n')) >= 0; text = text.slice(i + 1)) {
        const message = JSON.parse(text.slice(0, i)) as { hello?: Hello, got?: { kind: string }, signal?: string }
        if (message.hello) {
          const reports = new Queue<{ got?: { kind: string }, signal?: string }>()
          const got: string[] = []
          server = { hello: message.hello, reports, got, gone: () => closed, tell: command => socket.write(JSON.stringify(command) + '\n') }
          started.push(server)
          servers.push(server)
        } else if (server) {
          if (message.got) server.got.push(message.got.kind)
          server.reports.push(message)
        }
      }
    })
  })
  await new Promise<void>(resolve => listener.listen(socketPath, resolve))
  const close = async (): Promise<void> => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>(resolve => listener.close(() => resolve()))
  }
  return { servers, started, close }
}

/** Starts a mount process (the driver) over a fresh directory; everything it started is gone at teardown. */
async function startMount (t: Test, env: NodeJS.ProcessEnv = {}): Promise<Mount> {
  const dir = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-supervised-' })
  const socketPath = path.join(dir.name, 'test.sock')
  const { servers, started, close } = await serverReports(socketPath)
  const mountpoint = path.join(dir.name, 'mnt')
  const driver = spawn(process.execPath, [path.join(scripts.name, 'driver.js')], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: {
      ...process.env,
      DNPIPES_FUSE_ADDON: path.join(scripts.name, 'fake-addon.js'),
      FAKE_FUSE_DIR: dir.name,
      SUPERVISOR,
      MOUNTPOINT: mountpoint,
      SERVER_SCRIPT: path.join(scripts.name, 'server.js'),
      TEST_SOCKET: socketPath,
      ...env
    }
  })
  let stdout = ''
  let stderr = ''
  const stderrWaits: Array<{ shows: (text: string) => boolean, resolve: () => void }> = []
  driver.stdout!.on('data', chunk => { stdout += chunk })
  driver.stderr!.on('data', chunk => {
    stderr += chunk
    for (const wait of [...stderrWaits]) {
      if (wait.shows(stderr)) {
        stderrWaits.splice(stderrWaits.indexOf(wait), 1)
        wait.resolve()
      }
    }
  })
  const events: DriverEvent[] = []
  driver.on('message', message => events.push(message as DriverEvent))
  const result = new Promise<DriverEvent>(resolve => {
    driver.on('close', (code, signal) => resolve(events.find(e => e.event === 'result' || e.event === 'failed') ?? { event: 'exited', code: code ?? undefined, message: signal ?? undefined }))
  })
  t.teardown(async () => {
    if (driver.exitCode === null && driver.signalCode === null) driver.kill('SIGKILL')
    for (const server of started) {
      if (!server.gone()) process.kill(server.hello.pid, 'SIGKILL')
    }
    await close()
    dir.removeCallback()
  })
  return {
    driver,
    mountpoint,
    dir: dir.name,
    events,
    servers,
    result,
    stderr: () => stderr,
    stdout: () => stdout,
    stderrShows: wanted => {
      const shows = typeof wanted === 'function' ? wanted : (text: string) => wanted.test(text)
      return shows(stderr) ? Promise.resolve() : new Promise(resolve => stderrWaits.push({ shows, resolve }))
    }
  }
}

const REFUSED = /SIGUSR2: no server serves the mount now/g
const refusals = (text: string): number => text.match(REFUSED)?.length ?? 0

/**
 * `server` sends `messages` to the mount process, then says it is ready, and this returns once
 * the mount process has taken them in. The IPC channel keeps their order: once SIGUSR2 makes the
 * mount process ask the server to hand over (which it asks only of a server that said it is
 * ready), it has read what came before. A SIGUSR2 handled before that is refused on stderr, and
 * sent again. The server does not hand over.
 */
async function sendAndSettle (mount: Mount, server: Server, ...messages: object[]): Promise<void> {
  for (const message of messages) server.tell({ send: message })
  server.tell({ send: { kind: 'ready' } })
  let report = server.reports.next()
  for (;;) {
    const refused = refusals(mount.stderr())
    mount.driver.kill('SIGUSR2')
    const outcome = await Promise.race([report, mount.stderrShows(text => refusals(text) > refused)])
    if (outcome === undefined) continue // refused: not ready yet
    if (outcome.got?.kind === 'hand-over') return
    report = server.reports.next()
  }
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

const negotiated = (offered2: number): Negotiated => ({ minor: 38, flags: 0x4000b, offered2 })

/** The files of `dir` that process `pid` has open. */
function openIn (pid: number, dir: string): string[] {
  const open: string[] = []
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`)
      if (target.startsWith(dir + '/')) open.push(path.basename(target))
    } catch {}
  }
  return open.sort()
}

t.test('the server gets the connection as fd 3 and its handover; the mount bears the mount process\'s pid; SIGTERM stops and unmounts', async t => {
  const mount = await startMount(t)
  const server = await mount.servers.next()
  const { handover } = server.hello
  t.equal(handover.mountPid, mount.driver.pid)
  t.equal(handover.fd, 3)
  t.equal(handover.generation, 0)
  t.equal(handover.negotiated, undefined, 'nothing agreed yet: the first server answers INIT')
  t.match(handover.writer, /^[0-9a-f]{16}$/)
  t.match(path.basename(handover.stateDir), new RegExp(`^dnpipes-${mount.driver.pid}-mnt-`))
  t.ok(server.hello.stateDirExists, 'the state directory is made before the server starts')
  t.ok(server.hello.ipc, 'with an IPC channel to the mount process')
  t.equal(server.hello.fd3, path.join(mount.dir, 'clone-1'), 'a clone of the connection, not the connection itself')
  t.same(mount.events.find(e => e.call === 'mount'), { event: 'fuse', call: 'mount', mountpoint: mount.mountpoint, options: `fsname=dnpipes:${mount.driver.pid},subtype=dnpipes,ro` })
  t.ok(openIn(mount.driver.pid!, mount.dir).includes('connection'), 'the mount process keeps the connection')

  await sendAndSettle(mount, server)
  mount.driver.kill('SIGTERM')
  t.same(await server.reports.next(), { signal: 'SIGTERM' }, 'the server is asked to stop')
  t.same(await mount.result, { event: 'result', code: 0 })
  t.same(mount.events.filter(e => e.event === 'fuse').map(e => e.call), ['mount', 'clone', 'unmount'])
  t.notOk(existsSync(handover.stateDir), 'the state directory is removed')
  t.match(mount.stdout(), `dnpipes: unmounted ${mount.mountpoint}`)
  t.equal(mount.servers.length, 0, 'no other server')
})

t.test('a first server that ends before it served ends the mount with its exit code, and nothing more is started', async t => {
  const mount = await startMount(t)
  const server = await mount.servers.next()
  server.tell({ exit: 3 })
  t.same(await mount.result, { event: 'result', code: 3 })
  t.same(mount.events.filter(e => e.event === 'fuse').map(e => e.call), ['mount', 'clone', 'unmount'], 'unmounted')
  t.notOk(existsSync(server.hello.handover.stateDir))
  t.equal(mount.servers.length, 0)
  t.notMatch(mount.stdout(), 'unmounted', 'it never said it mounted')
})

t.test('a first server killed before it served ends the mount with 1', async t => {
  const mount = await startMount(t)
  const server = await mount.servers.next()
  server.tell({ kill: 'SIGKILL' })
  t.same(await mount.result, { event: 'result', code: 1 })
})

t.test('a mount that fails says why, in libfuse\'s words too; no server is started', async t => {
  const mount = await startMount(t, { FAKE_FUSE_FAIL: 'unknown option \'bogus\'' })
  t.same(await mount.result, { event: 'failed', message: 'fuse: mount failed (unknown option \'bogus\')' })
  t.equal(mount.servers.length, 0)
})

t.test('a server that dies after it served is replaced: the next is told what INIT agreed, and gets the same writer, state and descriptor', async t => {
  const mount = await startMount(t)
  const first = await mount.servers.next()
  const agreed = negotiated(HAS_RESEND_FLAG2)
  await sendAndSettle(mount, first, { kind: 'init', negotiated: agreed })
  process.kill(first.hello.pid, 'SIGKILL')
  const second = await mount.servers.next()
  t.equal(second.hello.handover.generation, 1)
  t.same(second.hello.handover.negotiated, agreed)
  t.equal(second.hello.handover.writer, first.hello.handover.writer, 'one writer for the mount, whichever server')
  t.equal(second.hello.handover.stateDir, first.hello.handover.stateDir)
  t.equal(second.hello.fd3, first.hello.fd3, 'the kernel sends again what the dead server held: its descriptor serves on')
  // After less than a second it pauses 100 ms first; after more, none (see restart-delay.ts).
  const died = new RegExp(escape(`the server of ${mount.mountpoint} (pid ${first.hello.pid}) died of SIGKILL; starting another`))
  await mount.stderrShows(died)
  t.match(mount.stderr(), died, 'the death is told')

  await sendAndSettle(mount, second)
  second.tell({ exit: 4 })
  const third = await mount.servers.next()
  t.equal(third.hello.handover.generation, 2, 'a later server that exits is replaced too')
  await mount.stderrShows(new RegExp(escape(`(pid ${second.hello.pid}) exited with code 4; starting another`)))
  t.pass('an exit is told')
  mount.driver.kill('SIGHUP')
  t.same(await mount.result, { event: 'result', code: 0 })
})

t.test('where the kernel cannot send requests again, the next server reads through a new descriptor and the dead one\'s is closed', async t => {
  for (const [why, offered2, env] of [
    ['a kernel without FUSE_NOTIFY_RESEND', 0, {}],
    ['DNPIPES_NO_RESEND=1 on a kernel with it', HAS_RESEND_FLAG2, { DNPIPES_NO_RESEND: '1' }]
  ] as const) {
    const mount = await startMount(t, env)
    const first = await mount.servers.next()
    await sendAndSettle(mount, first, { kind: 'init', negotiated: negotiated(offered2) })
    t.same(openIn(mount.driver.pid!, mount.dir), ['clone-1', 'connection'], `${why}: before`)
    process.kill(first.hello.pid, 'SIGKILL')
    const second = await mount.servers.next()
    t.equal(second.hello.fd3, path.join(mount.dir, 'clone-2'), `${why}: a new clone`)
    t.same(openIn(mount.driver.pid!, mount.dir), ['clone-2', 'connection'], `${why}: the dead server's descriptor is closed, so the kernel fails what it held`)
    t.same(second.hello.handover.negotiated, negotiated(0), `${why}: the next server is told it cannot ask for them`)
    mount.driver.kill('SIGTERM')
    t.same(await mount.result, { event: 'result', code: 0 })
  }
})

t.test('SIGUSR2 hands the mount over: the serving server is asked, and its successor starts at once', async t => {
  const mount = await startMount(t)
  const first = await mount.servers.next()
  mount.driver.kill('SIGUSR2')
  await mount.stderrShows(/SIGUSR2: no server serves the mount now/)
  await sendAndSettle(mount, first, { kind: 'init', negotiated: negotiated(HAS_RESEND_FLAG2) })
  t.same(first.got, ['hand-over'], 'a server that has not served yet is not asked')
  await mount.stderrShows(new RegExp(escape(`SIGUSR2: handing ${mount.mountpoint} over to a new server`)))
  first.tell({ send: { kind: 'handed-over' }, exit: 0 })
  const second = await mount.servers.next()
  t.equal(second.hello.handover.generation, 1)
  t.equal(second.hello.fd3, first.hello.fd3)
  mount.driver.kill('SIGTERM')
  t.same(await mount.result, { event: 'result', code: 0 })
  t.notMatch(mount.stderr(), 'starting another', 'a hand-over is no death: no word of one, and no pause')
})

t.test('a server that says it ends the mount ends it with 0, whatever its exit code, and none is started after it', async t => {
  const mount = await startMount(t)
  const server = await mount.servers.next()
  await sendAndSettle(mount, server, { kind: 'stopping', reason: 'unmounted from outside' })
  server.tell({ exit: 7 })
  t.same(await mount.result, { event: 'result', code: 0 })
  t.equal(mount.servers.length, 0)
  t.same(mount.events.filter(e => e.event === 'fuse').map(e => e.call), ['mount', 'clone', 'unmount'])
})

t.test('servers that die without serving are replaced after pauses twice as long each time; a stop during the pause ends the mount', async t => {
  const mount = await startMount(t)
  const first = await mount.servers.next()
  await sendAndSettle(mount, first)
  process.kill(first.hello.pid, 'SIGKILL')
  // One that served a second or more is replaced at once, else after 100 ms: that depends on
  // this machine's speed. What follows does not: each death before serving doubles the pause.
  const pauseOf = (pid: number): number => Number(new RegExp(`\\(pid ${pid}\\) (?:died of \\w+|exited with code \\d+); starting another(?: in (\\d+) ms)?\\n`).exec(mount.stderr())?.[1] ?? 0)
  await mount.stderrShows(new RegExp(`\\(pid ${first.hello.pid}\\) died of SIGKILL; starting another(?: in \\d+ ms)?\\n`))
  let pause = pauseOf(first.hello.pid)
  t.ok(pause === 0 || pause === 100, `after the first: ${pause} ms`)
  for (let generation = 1; generation <= 3; generation++) {
    const server = await mount.servers.next()
    t.equal(server.hello.handover.generation, generation, 'one that never served, after the first, does not end the mount')
    server.tell({ exit: 1 })
    await mount.stderrShows(new RegExp(`\\(pid ${server.hello.pid}\\) exited with code 1; starting another in \\d+ ms\\n`))
    const next = pauseOf(server.hello.pid)
    t.equal(next, pause === 0 ? 100 : pause * 2, `after generation ${generation}: ${next} ms`)
    pause = next
  }
  // The last pause is 400 ms or more: the stop comes during it.
  mount.driver.kill('SIGINT')
  t.same(await mount.result, { event: 'result', code: 0 })
  t.equal(mount.servers.length, 0, 'no server after the stop')
})
