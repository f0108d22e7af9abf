import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import t, { Test } from 'tap'
import tmp from 'tmp'
import { withStore } from '../../../src/commands/session'
import { pushCommand } from '../../../src/commands/topic-commands'
import { secondsText, workCommand, WorkOptions } from '../../../src/commands/work'
import { TopicError } from '../../../src/topics/errors'
import { freePort, waitFor } from '../../../scripts/support/redis-server'
import { CapturedOutput } from '../../helpers/captured-output'
import { redisPerFile } from '../../helpers/fixture'

// workCommand in this process against a real redis-server: its refusals, each command's fate, the status of each stop.

const fixture = redisPerFile()

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** Work options of a store of its own (a prefix per test), with `more` over the defaults. */
const optionsOf = (prefix: string, more: Partial<WorkOptions> = {}): WorkOptions =>
  ({ redis: fixture.server.url, prefix, concurrency: 1, visibilityTimeout: 5, maxDeliveries: 3, retryBackoff: false, ...more })

const push = (prefix: string, topic: string, message: string): Promise<void> => pushCommand(topic, [message], { redis: fixture.server.url, prefix, framing: 'line' })

function scratch (t: Test): string {
  const dir = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-work-unit-' })
  t.teardown(() => dir.removeCallback())
  return dir.name
}

/** What the worker writes to stderr (its notes), kept from the test's own stderr until `stop`. */
function captureStderr (): { text: () => string, stop: () => void } {
  const captured = new CapturedOutput(process.stderr).start()
  return { text: () => captured.bytes().toString(), stop: () => { captured.stop() } }
}

/** A worker running in this process; `stop` ends it by removing its topic, whatever the test did. */
function startWork (t: Test, prefix: string, topic: string, command: string[], more: Partial<WorkOptions> = {}) {
  const stderr = captureStderr()
  let status: number | Error | undefined
  const done = workCommand('g', topic, command, optionsOf(prefix, more)).then(code => { status = code }, (err: Error) => { status = err })
  const stop = async (): Promise<number | Error | undefined> => {
    await withStore({ redis: fixture.server.url, prefix }, store => store.remove(topic)).catch(() => undefined)
    await done
    stderr.stop()
    return status
  }
  t.teardown(stop)
  return { done: done.then(() => status), stderr: stderr.text, stop, finished: () => status !== undefined }
}

/** XPENDING of group g of `stream`: [id, consumer, idle ms, deliveries] each. */
async function pending (stream: string): Promise<Array<[string, string, number, number]>> {
  return await fixture.admin.xpending(stream, 'g', '-', '+', 100) as Array<[string, string, number, number]>
}

async function ids (stream: string): Promise<string[]> {
  return (await fixture.admin.xrange(stream, '-', '+')).map(([id]) => id)
}

/** Connections blocked in XREAD: workers waiting for new entries. */
async function blockedReads (): Promise<number> {
  return String(await fixture.admin.client('LIST')).split('\n').filter(line => / flags=b /.test(line) && / cmd=xread /.test(line)).length
}

const lines = (file: string): string[] => existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(line => line !== '') : []

t.test('secondsText: seconds with a decimal point, as the notes show delays', async t => {
  t.equal(secondsText(2000), '2.0 s')
  t.equal(secondsText(1250), '1.25 s')
  t.equal(secondsText(50), '0.05 s')
  t.equal(secondsText(0), '0.0 s')
  t.equal(secondsText(1000 / 3), '0.333 s', 'to the millisecond')
  t.equal(secondsText(90_000), '90.0 s')
})

t.test('bad arguments are refused before Redis is asked, each with its own message', async t => {
  const options = { ...optionsOf('unused:'), redis: `redis://127.0.0.1:${await freePort()}` }
  const cases: Array<[string, string, string[], Partial<WorkOptions>, RegExp | TopicError]> = [
    ['no topic', '', ['cat'], {}, new TopicError('EINVAL', 'a topic name is needed')],
    ['the root', '/', ['cat'], {}, new TopicError('EINVAL', 'a topic name is needed')],
    ['no command', 'jobs', [], {}, /^a command to run is needed: dnpipes work GROUP TOPIC -- COMMAND/],
    ['concurrency 0', 'jobs', ['cat'], { concurrency: 0 }, /concurrency/],
    ['visibility timeout 0', 'jobs', ['cat'], { visibilityTimeout: 0 }, /^the visibility timeout must be a positive number of seconds, not 0$/],
    ['max deliveries 0', 'jobs', ['cat'], { maxDeliveries: 0 }, /^the deliveries before a dead letter must be 1 or more, not 0$/],
    ['a negative retry delay', 'jobs', ['cat'], { retryDelay: -1 }, /^--retry-delay must be a positive number of seconds, not -1$/],
    ['a cap below the delay', 'jobs', ['cat'], { retryDelay: 5, retryDelayMax: 2 }, /^--retry-delay-max \(2 s\) must not be shorter than the retry delay \(--retry-delay, 5 s\)$/]
  ]
  for (const [what, topic, command, more, expected] of cases) {
    const failure = await workCommand('g', topic, command, { ...options, ...more }).then(() => undefined, (err: Error) => err)
    if (expected instanceof TopicError) t.same(failure, expected, what)
    else t.match(failure?.message, expected, what)
    t.notMatch(failure?.message, /cannot use Redis/, `${what}: Redis was not asked`)
  }
})

t.test('a missing topic and a directory are refused, and no group is made', async t => {
  await push('refuse:', 'dir/topic', 'x')
  const options = optionsOf('refuse:')
  await t.rejects(workCommand('g', 'nope', ['cat'], options), new TopicError('ENOENT', 'no topic nope'))
  await t.rejects(workCommand('g', 'dir', ['cat'], options), new TopicError('EISDIR', 'dir is a directory'))
  t.equal(await fixture.admin.exists('refuse:{nope}'), 0, 'nothing made for the missing topic')
  t.same(await fixture.admin.xinfo('GROUPS', 'refuse:{dir/topic}'), [], 'no group on the topic beside it either')
  await t.rejects(workCommand('g', 'jobs', ['cat'], { ...options, redis: `redis://127.0.0.1:${await freePort()}` }), { message: /^cannot use Redis at redis:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/ })
})

t.test('each message runs the command once with the message on stdin, is acknowledged at exit 0; a removed topic stops the worker with 0', async t => {
  const dir = scratch(t)
  await push('runs:', 'jobs', 'build 42')
  await push('runs:', 'jobs', 'second')
  const worker = startWork(t, 'runs:', 'jobs', ['sh', '-c', 'cat > "$0/$DNPIPES_MESSAGE_ID.$DNPIPES_DELIVERY"', dir], { concurrency: 2 })
  await waitFor(async () => readdirSync(dir).length === 2 && (await pending('runs:{jobs}')).length === 0, 10_000, 'both messages run and acknowledged')
  await push('runs:', 'jobs', 'later')
  await waitFor(async () => readdirSync(dir).length === 3 && (await pending('runs:{jobs}')).length === 0, 10_000, 'a message pushed while it waits')
  const all = await ids('runs:{jobs}')
  t.same(readdirSync(dir).sort(), all.map(id => `${id}.1`).sort(), 'one run per message, its first delivery, with its id')
  t.same(all.map(id => readFileSync(path.join(dir, `${id}.1`), 'utf8')), ['build 42\n', 'second\n', 'later\n'])
  t.notOk(worker.finished(), 'it waits for more')
  t.equal(await worker.stop(), 0, 'the topic removed: a clean stop')
  t.equal(worker.stderr(), 'dnpipes: topic jobs was removed; stopping\n')
})

t.test('a command that cannot be started: status 1, its message kept pending, nothing more taken', async t => {
  await push('cannot:', 'jobs', 'first')
  await push('cannot:', 'jobs', 'second')
  const [first] = await ids('cannot:{jobs}')
  const worker = startWork(t, 'cannot:', 'jobs', ['/nonexistent/command'])
  const status = await worker.done
  t.equal(status, 1)
  t.match(worker.stderr(), new RegExp(`^dnpipes: message ${first}: cannot run /nonexistent/command: spawn /nonexistent/command ENOENT; stopping\n$`))
  const [entry, ...more] = await pending('cannot:{jobs}')
  t.same([entry?.[0], entry?.[3], more.length], [first, 1, 0], 'the first message is pending, delivered once; the second was never handed out')
})

t.test('a failed command: a note with its fate, the message back after the retry delay, then in TOPIC.dead', async t => {
  const log = path.join(scratch(t), 'log')
  await push('fails:', 'jobs', 'poison')
  const [poison] = await ids('fails:{jobs}')
  const worker = startWork(t, 'fails:', 'jobs', ['sh', '-c', 'echo "$DNPIPES_DELIVERY" >> "$0"; [ "$DNPIPES_DELIVERY" = 1 ] && exit 3; kill -KILL $$', log],
    { maxDeliveries: 2, retryDelay: 0.05, visibilityTimeout: 30 })
  await waitFor(async () => await fixture.admin.xlen('fails:{jobs.dead}') === 1 && (await pending('fails:{jobs}')).length === 0, 10_000, 'the message in jobs.dead')
  t.same(lines(log), ['1', '2'], 'run twice, long before the visibility timeout')
  t.equal(worker.stderr(), [
    `dnpipes: message ${poison}: sh exited with 3; it will be handed out again in 0.05 s\n`,
    `dnpipes: message ${poison}: sh was killed by SIGKILL; it will be moved to jobs.dead in 0.05 s\n`
  ].join(''))
  t.equal(await worker.stop(), 0)
})

t.test('signals: SIGHUP stops an idle worker as SIGTERM does; a second signal kills the running command, status 128 + it', async t => {
  // Only the worker hears the signals: the handlers of tap and of the test support are set aside meanwhile.
  const theirs = STOP_SIGNALS.map(signal => [signal, process.listeners(signal)] as const)
  for (const [signal, listeners] of theirs) for (const listener of listeners) process.removeListener(signal, listener)
  t.teardown(() => { for (const [signal, listeners] of theirs) for (const listener of listeners) process.on(signal, listener) })
  const dir = scratch(t)

  await withStore({ redis: fixture.server.url, prefix: 'idle:' }, store => store.create('jobs'))
  const idle = startWork(t, 'idle:', 'jobs', ['true'])
  await waitFor(async () => await blockedReads() === 1, 10_000, 'the worker to wait for messages')
  process.kill(process.pid, 'SIGHUP')
  t.equal(await idle.done, 0, 'a clean stop')
  t.equal(idle.stderr(), '', 'with nothing to say')
  t.same(STOP_SIGNALS.map(signal => process.listenerCount(signal)), [0, 0, 0], 'its signal handlers are gone with it')
  await waitFor(async () => await blockedReads() === 0, 5000, 'its follow connection to close')

  await push('busy:', 'jobs', 'long job')
  const [long] = await ids('busy:{jobs}')
  const started = path.join(dir, 'started')
  // Runs for 20 s, unless killed (as it is here).
  const busy = startWork(t, 'busy:', 'jobs', ['sh', '-c', 'echo $$ > "$0"; i=0; while [ $i -lt 400 ]; do i=$((i+1)); sleep 0.05; done', started], { concurrency: 2 })
  await waitFor(async () => lines(started).length === 1, 10_000, 'the command to start')
  await waitFor(async () => await blockedReads() === 1, 10_000, 'the worker to wait for a second message')
  process.kill(process.pid, 'SIGINT')
  await waitFor(async () => busy.stderr() !== '', 5000, 'the worker to say it waits')
  t.equal(busy.stderr(), 'dnpipes: SIGINT: waiting for 1 running command; SIGINT again kills it\n')
  await push('busy:', 'jobs', 'not taken')
  t.notOk(busy.finished(), 'it waits for the running command')
  process.kill(process.pid, 'SIGTERM')
  t.equal(await busy.done, 128 + 15, 'killed by the second signal: 128 + SIGTERM')
  t.match(busy.stderr(), `dnpipes: message ${long}: sh was killed by SIGKILL; it will be handed out again in 5.0 s\n`)
  t.throws(() => process.kill(Number(lines(started)[0]), 0), { code: 'ESRCH' }, 'the command is gone')
  const [entry, ...more] = await pending('busy:{jobs}')
  t.same([entry?.[0], entry?.[3], more.length], [long, 1, 0], 'its message pending, for another worker; the one pushed after the stop not taken')
})
