import { ChildProcess, spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import path from 'node:path'
import t, { Test } from 'tap'
import tmp from 'tmp'
import { CLI } from '../../scripts/support/mount'
import { run, RunOptions, track } from '../../scripts/support/processes'
import { RedisServer, waitFor } from '../../scripts/support/redis-server'
import { redisFor } from '../helpers/fixture'

// dnpipes work GROUP TOPIC -- COMMAND: at-least-once workers over a consumer group, run as a user
// runs them, against a real Redis.

const STREAM = 'dnpipes:{jobs}'

/**
 * Waits for `$0/release` (the test's go-ahead) and records in `$0/started` and `$0/finished`;
 * gives up after 20 s so that a command left behind by a failed test ends by itself.
 */
const BLOCKING = ['sh', '-c', 'echo "$DNPIPES_MESSAGE_ID $DNPIPES_DELIVERY $$" >> "$0/started"; i=0; until [ -e "$0/release" ] || [ $i -ge 400 ]; do i=$((i+1)); sleep 0.05; done; echo "$DNPIPES_MESSAGE_ID" >> "$0/finished"']
/** Appends "ID DELIVERY" to the file $0. */
const RECORDING = ['sh', '-c', 'echo "$DNPIPES_MESSAGE_ID $DNPIPES_DELIVERY" >> "$0"']

/**
 * Logs "start ID DELIVERY MS" to $0 (MS: the clock in ms) and, for a delivery before the $1th,
 * "failed ID DELIVERY MS" before it fails (exit 3).
 */
const FAILING_UNTIL = ['sh', '-c', 'echo "start $DNPIPES_MESSAGE_ID $DNPIPES_DELIVERY $(date +%s%3N)" >> "$0"; [ "$DNPIPES_DELIVERY" -ge "$1" ] && exit 0; echo "failed $DNPIPES_MESSAGE_ID $DNPIPES_DELIVERY $(date +%s%3N)" >> "$0"; exit 3']

/** Of a FAILING_UNTIL log: ms from each failure to the next delivery's start, in order (of those that had one). */
function retryGaps (log: string): number[] {
  const events = lines(log).map(line => line.split(' ')).map(([what, , delivery, ms]) => ({ what, delivery: Number(delivery), ms: Number(ms) }))
  const startOf = (delivery: number): number | undefined => events.find(event => event.what === 'start' && event.delivery === delivery)?.ms
  return events.filter(event => event.what === 'failed' && startOf(event.delivery + 1) !== undefined)
    .map(failed => startOf(failed.delivery + 1)! - failed.ms)
}

/** `dnpipes COMMAND --redis URL ARGS...`: the target first, before any `--`. */
function cli (server: RedisServer, [command, ...args]: string[], options: RunOptions = {}) {
  return run(process.execPath, [CLI, command!, '--redis', server.url, ...args], options)
}

function scratch (t: Test): string {
  const dir = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-work-' })
  t.teardown(() => dir.removeCallback())
  return dir.name
}

function lines (file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(line => line !== '') : []
}

interface Worker {
  child: ChildProcess
  consumer: string
  stdout (): string
  stderr (): string
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  hasExited (): boolean
}

/**
 * `dnpipes work g jobs OPTIONS -- COMMAND` in the background. At the end of the test it is
 * stopped, and `release` (the blocking commands' go-ahead) is made so that none is left behind.
 */
function startWorker (t: Test, server: RedisServer, options: string[], command: string[], release?: string): Worker {
  const child = track(spawn(process.execPath, [CLI, 'work', 'g', 'jobs', ...options, '--redis', server.url, '--', ...command], { stdio: ['ignore', 'pipe', 'pipe'] }))
  let out = ''
  let err = ''
  let done = false
  child.stdout!.on('data', chunk => { out += chunk })
  child.stderr!.on('data', chunk => { err += chunk })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>(resolve => child.once('exit', (code, signal) => {
    done = true
    resolve({ code, signal })
  }))
  t.teardown(async () => {
    if (release) writeFileSync(release, '')
    if (done) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  })
  return { child, consumer: `work@${hostname()}:${child.pid}`, stdout: () => out, stderr: () => err, exited, hasExited: () => done }
}

/** XPENDING of group g: [id, consumer, idle ms, deliveries] each. */
async function pending (server: RedisServer): Promise<Array<[string, string, number, number]>> {
  return await server.client().xpending(STREAM, 'g', '-', '+', 1000) as Array<[string, string, number, number]>
}

async function ids (server: RedisServer): Promise<string[]> {
  return (await server.client().xrange(STREAM, '-', '+')).map(([id]) => id)
}

/**
 * Workers blocked waiting for entries (XREAD BLOCK on their follow connection). Redis makes a
 * group's consumer only at its first message, so a worker that has had none is not in XINFO.
 */
async function waitingWorkers (server: RedisServer): Promise<number> {
  const clients = String(await server.client().call('CLIENT', 'LIST', 'TYPE', 'normal')).split('\n')
  return clients.filter(client => / name=dnpipes-follow /.test(client) && / flags=b /.test(client) && / cmd=xread /.test(client)).length
}

async function consumers (server: RedisServer): Promise<number> {
  return (await server.client().xinfo('CONSUMERS', STREAM, 'g') as unknown[]).length
}

async function lastDeliveredId (server: RedisServer): Promise<string> {
  const [group] = await server.client().xinfo('GROUPS', STREAM) as unknown[][]
  const fields = group!
  return String(fields[fields.indexOf('last-delivered-id') + 1])
}

t.test('each message runs COMMAND once, with the message on stdin, its id and its delivery count', async t => {
  const server = await redisFor(t)
  const dir = scratch(t)
  t.equal((await cli(server, ['push', 'jobs', 'build 42'])).code, 0)
  t.equal((await cli(server, ['push', 'jobs'], { input: 'second\nno newline' })).code, 0)
  const worker = startWorker(t, server, [], ['sh', '-c', 'cat > "$0/$DNPIPES_MESSAGE_ID.$DNPIPES_DELIVERY"; echo "ran $DNPIPES_MESSAGE_ID"', dir])
  await waitFor(async () => readdirSync(dir).length === 3 && (await pending(server)).length === 0, 10_000, 'the three messages run and acknowledged')
  t.equal((await cli(server, ['push', 'jobs', 'later'])).code, 0)
  await waitFor(async () => readdirSync(dir).length === 4 && (await pending(server)).length === 0, 10_000, 'a message pushed while the worker waits')
  const all = await ids(server)
  t.same(readdirSync(dir).sort(), all.map(id => `${id}.1`).sort(), 'one run per message, each its first delivery')
  t.same(all.map(id => readFileSync(path.join(dir, `${id}.1`), 'utf8')), ['build 42\n', 'second\n', 'no newline', 'later\n'], 'stdin: the message as rendered')
  worker.child.kill('SIGINT')
  t.same(await worker.exited, { code: 0, signal: null })
  t.equal(worker.stdout(), all.map(id => `ran ${id}\n`).join(''), "the commands' stdout passes through; dnpipes adds nothing")
  t.equal(worker.stderr(), '')
  t.equal(await consumers(server), 0, 'the worker left the group')
})

t.test('two workers of one group split 200 messages: each runs once, none is missing', async t => {
  const server = await redisFor(t)
  const dir = scratch(t)
  t.equal((await cli(server, ['push', 'jobs'])).code, 0, 'an empty topic')
  const outputs = ['a', 'b'].map(name => path.join(dir, name))
  const workers = outputs.map(output => startWorker(t, server, [], ['sh', '-c', 'cat >> "$0"', output]))
  await waitFor(async () => await waitingWorkers(server) === 2, 10_000, 'both workers waiting for messages')
  const messages = Array.from({ length: 200 }, (_, i) => `message ${i}`)
  t.equal((await cli(server, ['push', 'jobs'], { input: messages.map(m => m + '\n').join('') })).code, 0)
  const runs = (): string[] => outputs.flatMap(lines)
  await waitFor(async () => runs().length >= 200 && (await pending(server)).length === 0, 30_000, 'the 200 messages run and acknowledged')
  for (const worker of workers) worker.child.kill('SIGINT')
  t.same(await Promise.all(workers.map(worker => worker.exited)), [{ code: 0, signal: null }, { code: 0, signal: null }])
  t.same(runs().sort(), [...messages].sort(), 'every message exactly once')
  const [a, b] = outputs.map(output => lines(output).length)
  t.ok(a! > 0 && b! > 0, `both workers had some (${a} and ${b})`)
})

t.test('a failed command: handed out again after the visibility timeout, then moved to TOPIC.dead', async t => {
  const server = await redisFor(t)
  const dir = scratch(t)
  t.equal((await cli(server, ['push', 'jobs'], { input: 'poison\nsuicide\n' })).code, 0)
  const [poison, suicide] = await ids(server)
  const log = path.join(dir, 'log')
  const worker = startWorker(t, server, ['--visibility-timeout', '1', '--max-deliveries', '2'],
    ['sh', '-c', 'echo "$DNPIPES_MESSAGE_ID $DNPIPES_DELIVERY" >> "$0"; [ "$(cat)" = poison ] && exit 3; kill -TERM $$', log])
  await waitFor(async () => await server.client().xlen('dnpipes:{jobs.dead}') === 2 && (await pending(server)).length === 0, 15_000, 'both messages in jobs.dead, and acknowledged')
  t.same((await cli(server, ['pull', 'jobs.dead'])).stdout.toString().split('\n').sort(), ['', 'poison', 'suicide'])
  t.same(lines(log).sort(), [`${poison} 1`, `${poison} 2`, `${suicide} 1`, `${suicide} 2`].sort(), 'two deliveries each, the second counted as such')
  t.same(worker.stderr().split('\n').sort(), [
    '',
    `dnpipes: message ${poison}: sh exited with 3; it will be handed out again in 1.0 s`,
    `dnpipes: message ${poison}: sh exited with 3; it will be moved to jobs.dead in 1.0 s`,
    `dnpipes: message ${suicide}: sh was killed by SIGTERM; it will be handed out again in 1.0 s`,
    `dnpipes: message ${suicide}: sh was killed by SIGTERM; it will be moved to jobs.dead in 1.0 s`
  ].sort(), 'one line per failure, with when: the retry delay is the visibility timeout')
  worker.child.kill('SIGINT')
  t.same(await worker.exited, { code: 0, signal: null })
  t.equal(worker.stdout(), '')
})

t.test('without --retry-delay, a failed job comes back a visibility timeout after the failure', async t => {
  const server = await redisFor(t)
  const log = path.join(scratch(t), 'log')
  t.equal((await cli(server, ['push', 'jobs', 'flaky'])).code, 0)
  const [flaky] = await ids(server)
  const worker = startWorker(t, server, ['--visibility-timeout', '1', '--concurrency', '2'], [...FAILING_UNTIL, log, '2'])
  await waitFor(async () => lines(log).length === 3 && (await pending(server)).length === 0, 15_000, 'the second delivery to run and be acknowledged')
  const [gap] = retryGaps(log)
  t.ok(gap! >= 1000, `not before the visibility timeout (${gap} ms)`)
  t.equal(worker.stderr(), `dnpipes: message ${flaky}: sh exited with 3; it will be handed out again in 1.0 s\n`)
})

t.test('--retry-delay 0.5 brings a failed job back after half a second, long before the visibility timeout', async t => {
  const server = await redisFor(t)
  const log = path.join(scratch(t), 'log')
  t.equal((await cli(server, ['push', 'jobs', 'flaky'])).code, 0)
  const [flaky] = await ids(server)
  // With room for a second command, the worker waits for messages while the first one runs, with
  // a timer set before the failure: the retry has to end that wait.
  const worker = startWorker(t, server, ['--visibility-timeout', '10', '--retry-delay', '0.5', '--concurrency', '2'], [...FAILING_UNTIL, log, '2'])
  await waitFor(async () => lines(log).length === 3 && (await pending(server)).length === 0, 9000, 'the second delivery to run and be acknowledged')
  const [gap] = retryGaps(log)
  t.ok(gap! >= 500 && gap! < 10_000, `after the delay, before the visibility timeout (${gap} ms)`)
  t.same(lines(log).map(line => line.split(' ').slice(0, 3).join(' ')), [`start ${flaky} 1`, `failed ${flaky} 1`, `start ${flaky} 2`], 'its second delivery, counted as such')
  t.equal(worker.stderr(), `dnpipes: message ${flaky}: sh exited with 3; it will be handed out again in 0.5 s\n`)
  worker.child.kill('SIGINT')
  t.same(await worker.exited, { code: 0, signal: null })
})

t.test('--retry-backoff doubles the delay per delivery, up to --retry-delay-max', async t => {
  const server = await redisFor(t)
  const log = path.join(scratch(t), 'log')
  t.equal((await cli(server, ['push', 'jobs', 'flaky'])).code, 0)
  const [flaky] = await ids(server)
  const worker = startWorker(t, server, ['--visibility-timeout', '10', '--max-deliveries', '10', '--retry-delay', '0.3', '--retry-backoff', '--retry-delay-max', '1'], [...FAILING_UNTIL, log, '5'])
  await waitFor(async () => lines(log).length === 9 && (await pending(server)).length === 0, 20_000, 'the fifth delivery to run and be acknowledged')
  const due = [300, 600, 1000, 1000]
  t.same(worker.stderr().split('\n'), [...due.map(ms => `dnpipes: message ${flaky}: sh exited with 3; it will be handed out again in ${ms / 1000}${ms % 1000 === 0 ? '.0' : ''} s`), ''], '0.3 s, 0.6 s, then 1.2 s and 2.4 s capped at 1 s')
  const gaps = retryGaps(log)
  t.equal(gaps.length, 4)
  gaps.forEach((gap, i) => t.ok(gap >= due[i]! && gap < 10_000, `retry ${i + 1}: ${gap} ms, due after ${due[i]} ms`))
})

t.test('a retry delay longer than the visibility timeout: the job is held until a timeout before it, and nobody gets it sooner', async t => {
  const server = await redisFor(t)
  const dir = scratch(t)
  const log = path.join(dir, 'log')
  t.equal((await cli(server, ['push', 'jobs', 'flaky'])).code, 0)
  const [flaky] = await ids(server)
  const worker = startWorker(t, server, ['--visibility-timeout', '1', '--retry-delay', '2.5'], [...FAILING_UNTIL, log, '2'])
  await waitFor(async () => lines(log).length === 2, 10_000, 'the first delivery to fail')
  // Another worker of the group, looking at least once a visibility timeout, gets it at its time only.
  startWorker(t, server, ['--visibility-timeout', '1', '--retry-delay', '2.5'], [...FAILING_UNTIL, log, '2'])
  const [entry] = await pending(server)
  t.same([entry?.[0], entry?.[1], entry?.[3]], [flaky, worker.consumer, 1], 'still pending with the worker, its delivery count unchanged')
  await waitFor(async () => lines(log).length === 3 && (await pending(server)).length === 0, 15_000, 'the second delivery to run and be acknowledged')
  const [gap] = retryGaps(log)
  t.ok(gap! >= 2500, `not before the delay (${gap} ms), though the visibility timeout is 1 s`)
  t.equal(worker.stderr(), `dnpipes: message ${flaky}: sh exited with 3; it will be handed out again in 2.5 s\n`)
})

t.test('stopped while it holds a job for a later retry, a worker lets it go for its time', async t => {
  const server = await redisFor(t)
  const log = path.join(scratch(t), 'log')
  t.equal((await cli(server, ['push', 'jobs', 'flaky'])).code, 0)
  const worker = startWorker(t, server, ['--visibility-timeout', '2', '--retry-delay', '3'], [...FAILING_UNTIL, log, '2'])
  await waitFor(async () => lines(log).length === 2, 10_000, 'the first delivery to fail')
  // Stopped 1.2 s after the failure, with 1.8 s to go: let go with an idle time of 0.2 s, not
  // left to come back a visibility timeout after its last heartbeat (as soon as 2.5 s after the failure).
  await new Promise(resolve => setTimeout(resolve, 1200))
  worker.child.kill('SIGINT')
  t.same(await worker.exited, { code: 0, signal: null }, 'a clean stop, at once')
  startWorker(t, server, ['--visibility-timeout', '2'], [...FAILING_UNTIL, log, '2'])
  await waitFor(async () => lines(log).length === 3 && (await pending(server)).length === 0, 15_000, 'the second delivery to run elsewhere')
  const [gap] = retryGaps(log)
  t.ok(gap! >= 3000, `not before its time (${gap} ms)`)
})

t.test('with retries, a job is still moved to TOPIC.dead after --max-deliveries', async t => {
  const server = await redisFor(t)
  const log = path.join(scratch(t), 'log')
  t.equal((await cli(server, ['push', 'jobs', 'poison'])).code, 0)
  const [poison] = await ids(server)
  const worker = startWorker(t, server, ['--visibility-timeout', '10', '--retry-delay', '0.2', '--max-deliveries', '3'], [...FAILING_UNTIL, log, '99'])
  await waitFor(async () => await server.client().xlen('dnpipes:{jobs.dead}') === 1 && (await pending(server)).length === 0, 9000, 'the message in jobs.dead, acknowledged, within the visibility timeout')
  t.same((await cli(server, ['pull', 'jobs.dead'])).stdout.toString(), 'poison\n')
  t.same(lines(log).filter(line => line.startsWith('start')).map(line => line.split(' ')[2]), ['1', '2', '3'], 'three deliveries')
  t.same(worker.stderr().split('\n'), [
    `dnpipes: message ${poison}: sh exited with 3; it will be handed out again in 0.2 s`,
    `dnpipes: message ${poison}: sh exited with 3; it will be handed out again in 0.2 s`,
    `dnpipes: message ${poison}: sh exited with 3; it will be moved to jobs.dead in 0.2 s`,
    ''
  ])
  const gaps = retryGaps(log)
  t.equal(gaps.length, 2)
  for (const gap of gaps) t.ok(gap >= 200, `retried after the delay (${gap} ms)`)
})

t.test('--concurrency 3 runs three commands at once, and no more', async t => {
  const server = await redisFor(t)
  const dir = scratch(t)
  const log = path.join(dir, 'log')
  t.equal((await cli(server, ['push', 'jobs'], { input: 'a\nb\nc\nd\ne\nf\n' })).code, 0)
  // Each command waits (at most 10 s, failing then) until three have started: only three running at once get past it.
  const barrier = 'echo start >> "$0"; i=0; until [ "$(grep -c start "$0")" -ge 3 ]; do i=$((i+1)); [ $i -ge 200 ] && exit 1; sleep 0.05; done; echo end >> "$0"'
  const worker = startWorker(t, server, ['--concurrency', '3'], ['sh', '-c', barrier, log])
  await waitFor(async () => lines(log).length === 12 && (await pending(server)).length === 0, 20_000, 'the six messages run and acknowledged')
  let running = 0
  let most = 0
  for (const event of lines(log)) {
    running += event === 'start' ? 1 : -1
    most = Math.max(most, running)
  }
  t.equal(most, 3, 'three ran at once, never more')
  worker.child.kill('SIGINT')
  t.same(await worker.exited, { code: 0, signal: null })
  t.equal(worker.stderr(), '', 'every command got past the barrier')
})

t.test('a running message is held past the visibility timeout; a first SIGINT stops taking and lets it finish', async t => {
  const server = await redisFor(t)
  const dir = scratch(t)
  const release = path.join(dir, 'release')
  t.equal((await cli(server, ['push', 'jobs', 'long job'])).code, 0)
  const [long] = await ids(server)
  const worker = startWorker(t, server, ['--visibility-timeout', '1', '--concurrency', '2'], [...BLOCKING, dir], release)
  await waitFor(async () => lines(path.join(dir, 'started')).length === 1, 10_000, 'the command to start')
  const other = startWorker(t, server, ['--visibility-timeout', '1'], [...RECORDING, path.join(dir, 'other')])
  // The first worker waits too, for a second message to run beside the first.
  await waitFor(async () => await waitingWorkers(server) === 2, 10_000, 'a second worker waiting for messages')
  // Over two and a half visibility timeouts the message stays with its worker, its idle time kept short.
  const until = Date.now() + 2500
  while (Date.now() < until) {
    const [entry, ...more] = await pending(server)
    t.ok(entry && more.length === 0 && entry[0] === long && entry[1] === worker.consumer && entry[2] < 1000 && entry[3] === 1,
      `held by its worker: ${JSON.stringify(entry)}`, { diagnostic: false })
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  t.same(lines(path.join(dir, 'other')), [], 'the other worker never got it')
  other.child.kill('SIGINT')
  t.same(await other.exited, { code: 0, signal: null }, 'an idle worker stops at once')

  worker.child.kill('SIGINT')
  await waitFor(async () => worker.stderr().includes('\n'), 5000, 'the worker to say it waits')
  t.equal(worker.stderr(), 'dnpipes: SIGINT: waiting for 1 running command; SIGINT again kills it\n')
  t.equal((await cli(server, ['push', 'jobs', 'not taken'])).code, 0)
  t.notOk(worker.hasExited(), 'the worker waits for its command')
  writeFileSync(release, '')
  t.same(await worker.exited, { code: 0, signal: null }, 'a clean stop')
  t.same(lines(path.join(dir, 'finished')), [long], 'the command finished')
  t.same(await pending(server), [], 'and its message is acknowledged')
  t.equal(await lastDeliveredId(server), long, 'the message pushed after the SIGINT was not taken')
})

t.test('a second SIGINT kills the running command; its message goes to another worker after the timeout', async t => {
  const server = await redisFor(t)
  const dir = scratch(t)
  t.equal((await cli(server, ['push', 'jobs', 'interrupted'])).code, 0)
  const [interrupted] = await ids(server)
  const worker = startWorker(t, server, ['--visibility-timeout', '1'], [...BLOCKING, dir], path.join(dir, 'release'))
  await waitFor(async () => lines(path.join(dir, 'started')).length === 1, 10_000, 'the command to start')
  const [id, delivery, pid] = lines(path.join(dir, 'started'))[0]!.split(' ')
  t.same([id, delivery], [interrupted, '1'])
  worker.child.kill('SIGINT')
  await waitFor(async () => worker.stderr().includes('waiting for 1 running command'), 5000, 'the worker to say it waits')
  worker.child.kill('SIGINT')
  t.same(await worker.exited, { code: 130, signal: null }, 'killed commands: not a clean stop')
  t.match(worker.stderr(), `dnpipes: message ${interrupted}: sh was killed by SIGKILL; it will be handed out again in 1.0 s\n`)
  t.throws(() => process.kill(Number(pid), 0), { code: 'ESRCH' }, 'the command is gone')
  t.same(lines(path.join(dir, 'finished')), [], 'it did not finish')
  const [entry, ...more] = await pending(server)
  t.same([entry?.[0], entry?.[1], entry?.[3], more.length], [interrupted, worker.consumer, 1, 0], 'the message is still pending, not acknowledged')

  const log = path.join(dir, 'second')
  const second = startWorker(t, server, ['--visibility-timeout', '1'], [...RECORDING, log])
  await waitFor(async () => lines(log).length === 1 && (await pending(server)).length === 0, 10_000, 'the message to run again, elsewhere')
  t.same(lines(log), [`${interrupted} 2`], 'its second delivery')
  second.child.kill('SIGTERM')
  t.same(await second.exited, { code: 0, signal: null }, 'SIGTERM stops as SIGINT does')
})

t.test('the topic removed while a command runs: the worker lets it finish, then exits 0', async t => {
  const server = await redisFor(t)
  const dir = scratch(t)
  const release = path.join(dir, 'release')
  t.equal((await cli(server, ['push', 'jobs', 'last'])).code, 0)
  const worker = startWorker(t, server, ['--concurrency', '2'], [...BLOCKING, dir], release)
  await waitFor(async () => lines(path.join(dir, 'started')).length === 1, 10_000, 'the command to start')
  t.equal((await cli(server, ['rm', 'jobs'])).code, 0)
  await waitFor(async () => worker.stderr().includes('\n'), 10_000, 'the worker to notice')
  t.equal(worker.stderr(), 'dnpipes: topic jobs was removed; stopping\n')
  t.notOk(worker.hasExited(), 'the running command is waited for')
  writeFileSync(release, '')
  t.same(await worker.exited, { code: 0, signal: null })
  t.equal(lines(path.join(dir, 'finished')).length, 1)
})

t.test('errors: no topic, a directory, no command, a command that cannot run', async t => {
  const server = await redisFor(t)
  t.equal((await cli(server, ['mkdir', 'dir'])).code, 0)
  t.equal((await cli(server, ['push', 'jobs', 'x'])).code, 0)
  const [missing, directory, usage, badConcurrency, cannot] = await Promise.all([
    cli(server, ['work', 'g', 'nope', '--', 'cat']),
    cli(server, ['work', 'g', 'dir', '--', 'cat']),
    cli(server, ['work', 'g', 'jobs']),
    cli(server, ['work', 'g', 'jobs', '--concurrency', '0', '--', 'cat']),
    cli(server, ['work', 'g', 'jobs', '--', '/nonexistent/command'])
  ])
  t.same([missing.code, missing.stderr], [1, 'dnpipes: no topic nope\n'])
  t.same([directory.code, directory.stderr], [1, 'dnpipes: dir is a directory\n'])
  t.equal(usage.code, 2, 'usage: the command is required')
  t.equal(badConcurrency.code, 2)
  t.equal(cannot.code, 1)
  const [zeroDelay, maxBelowDelay] = await Promise.all([
    cli(server, ['work', 'g', 'jobs', '--retry-delay', '0', '--', 'cat']),
    cli(server, ['work', 'g', 'jobs', '--retry-delay', '5', '--retry-delay-max', '2', '--', 'cat'])
  ])
  t.equal(zeroDelay.code, 2, 'usage: a retry delay is a positive number of seconds')
  t.same([maxBelowDelay.code, maxBelowDelay.stderr], [1, 'dnpipes: --retry-delay-max (2 s) must not be shorter than the retry delay (--retry-delay, 5 s)\n'])
  t.match(cannot.stderr, /^dnpipes: message \d+-\d+: cannot run \/nonexistent\/command: spawn \/nonexistent\/command ENOENT; stopping\n$/)
  t.equal((await pending(server)).length, 1, 'its message is not acknowledged')
})
