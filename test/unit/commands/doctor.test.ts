import { existsSync, promises as fs, readFileSync } from 'node:fs'
import path from 'node:path'
import t, { Test } from 'tap'
import tmp from 'tmp'
import { doctorCommand, DoctorOptions } from '../../../src/commands/doctor'
import { ensureEmbeddedRedis, pingSocket, socketPathOf } from '../../../src/redis/embedded'
import { freePort, RedisServer, startRedis, waitFor } from '../../../scripts/support/redis-server'
import { stdoutOf } from '../../helpers/captured-output'
import { environment } from '../../helpers/environment'

// doctorCommand in this process: its checks of FUSE and the Redis target, their aligned lines and fixes, and when it passes.

let server: RedisServer
t.before(async () => {
  server = await startRedis({ persistence: false })
})
t.teardown(() => server?.stop())

interface Shown {
  status: 'ok' | 'warn' | 'FAIL'
  name: string
  detail: string
  fix?: string
}

/** What doctor printed, check by check, and whether it passed; the columns are checked on the way. */
async function doctor (t: Test, options: Partial<DoctorOptions>): Promise<{ passed: boolean, checks: Shown[], text: string }> {
  let passed = false
  const text = (await stdoutOf(async () => { passed = await doctorCommand({ prefix: 'dnpipes:', ...options }) })).toString()
  const checks: Shown[] = []
  const columns = new Set<number>()
  for (const line of text.split('\n').slice(0, -1)) {
    const fix = /^( +)fix: (.*)$/.exec(line)
    if (fix && checks.length > 0) {
      checks[checks.length - 1]!.fix = fix[2]
      columns.add(fix[1]!.length)
      continue
    }
    const check = /^(ok {2}|warn|FAIL) {2}(\S+(?: \S+)*) +(\S.*)$/.exec(line)
    if (!check) {
      t.fail(`a line that is no check: ${JSON.stringify(line)}`)
      continue
    }
    checks.push({ status: check[1]!.trim() as Shown['status'], name: check[2]!, detail: check[3]! })
    columns.add(line.length - check[3]!.length)
  }
  t.equal(columns.size, 1, `details and fixes start in one column: ${[...columns].join(', ')}`)
  return { passed, checks, text }
}

const named = (checks: Shown[], name: string): Shown | undefined => checks.find(check => check.name === name)

t.test('a reachable Redis: every check ok, in order, no fix; doctor passes', async t => {
  const { passed, checks } = await doctor(t, { redis: server.url })
  t.equal(passed, true)
  t.same(checks.map(check => check.name), ['node', '/dev/fuse', 'fusermount3', 'libfuse3', 'FUSE addon', 'Redis', 'Redis memory', 'replay pages'])
  t.same(checks.filter(check => check.status !== 'ok'), [], 'all ok on this machine')
  t.same(checks.filter(check => check.fix !== undefined), [], 'no fix shown for what is ok')
  t.equal(named(checks, 'node')?.detail, process.version)
  t.match(named(checks, 'Redis')?.detail, new RegExp(`^Redis \\d+\\.\\d+\\.\\d+ at redis://127\\.0\\.0\\.1:${server.port}$`))
  t.match(named(checks, 'Redis memory')?.detail, /used of .*, maxmemory-policy noeviction$/)
})

t.test('the password of the URL is never shown', async t => {
  const secured = await startRedis({ persistence: false, args: ['--requirepass', 'hunter2'], auth: { username: 'default', password: 'hunter2' } })
  t.teardown(() => secured.stop())
  const { passed, text, checks } = await doctor(t, { redis: `redis://:hunter2@127.0.0.1:${secured.port}` })
  t.equal(passed, true)
  t.equal(named(checks, 'Redis')?.detail.endsWith(`at redis://:***@127.0.0.1:${secured.port}`), true)
  t.notMatch(text, /hunter2/)
  const wrong = await doctor(t, { redis: `redis://:wrong-secret@127.0.0.1:${secured.port}` })
  t.equal(wrong.passed, false)
  t.match(named(wrong.checks, 'Redis'), { status: 'FAIL', detail: /authentication failed/ })
  t.notMatch(wrong.text, /wrong-secret/)
})

t.test('Redis unreachable: a failure with the reason and what to check; doctor fails', async t => {
  const port = await freePort()
  const { passed, checks } = await doctor(t, { redis: `redis://127.0.0.1:${port}` })
  t.equal(passed, false)
  t.match(checks.at(-1), {
    status: 'FAIL',
    name: 'Redis',
    detail: new RegExp(`^cannot use Redis at redis://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    fix: /^check the URL \(--redis or DNPIPES_REDIS_URL\), that the server runs/
  })
  t.notOk(named(checks, 'Redis memory'), 'nothing more is asked of a Redis that is not there')
})

t.test('a user who may not read INFO memory: a warning, and doctor still passes', async t => {
  await server.client().call('ACL', 'SETUSER', 'nomemory', 'on', '>pw', '~*', '&*', '+@all', '-info', '+info|server')
  const { passed, checks } = await doctor(t, { redis: `redis://nomemory:pw@127.0.0.1:${server.port}` })
  t.equal(passed, true, 'a warning does not fail the run')
  t.match(named(checks, 'Redis'), { status: 'ok' })
  t.match(named(checks, 'Redis memory'), { status: 'warn', detail: /^cannot read INFO memory: NOPERM/, fix: 'let the user run info, or check maxmemory-policy by hand' })
})

t.test('Redis options that do not go together: a failure that names the option; doctor fails', async t => {
  const sentinels = await doctor(t, { sentinels: '127.0.0.1:26379' })
  t.equal(sentinels.passed, false)
  t.match(named(sentinels.checks, 'Redis'), { status: 'FAIL', detail: '--sentinels needs --sentinel-name (the master group name)', fix: 'check the Redis options (dnpipes mount --help)' })
  const cluster = await doctor(t, { cluster: 'a:b' })
  t.match(named(cluster.checks, 'Redis'), { status: 'FAIL', detail: '"a:b" is not HOST or HOST:PORT' })
})

t.test('no target: the embedded server is looked for in the data directory, never started', async t => {
  environment(t, { DNPIPES_REDIS_URL: '' })
  const dataDir = path.join(tmp.dirSync({ unsafeCleanup: true }).name, 'state')
  const { passed, checks } = await doctor(t, { dataDir })
  t.equal(passed, true)
  t.match(named(checks, 'redis-server'), { status: 'ok', detail: /redis-server \(the embedded default\)$/ })
  t.same(named(checks, 'embedded Redis'), { status: 'ok', name: 'embedded Redis', detail: `not running; the first mount starts it in ${dataDir}` })
  t.notOk(named(checks, 'Redis'), 'no server to check')
  t.notOk(existsSync(dataDir), 'doctor made nothing there')
})

t.test('the embedded server running: checked on its socket like any Redis', async t => {
  environment(t, { DNPIPES_REDIS_URL: '' })
  const dataDir = tmp.dirSync({ unsafeCleanup: true }).name
  const socket = await ensureEmbeddedRedis(dataDir)
  t.teardown(async () => {
    process.kill(Number(readFileSync(path.join(dataDir, 'redis.pid'), 'utf8')), 'SIGTERM')
    await waitFor(async () => !await pingSocket(socket), 5000, 'the embedded server to stop')
  })
  const { passed, checks } = await doctor(t, { dataDir })
  t.equal(passed, true)
  t.equal(named(checks, 'embedded Redis')?.detail, `running at ${socketPathOf(dataDir)}`)
  t.match(named(checks, 'Redis'), { status: 'ok', detail: new RegExp(`^Redis [\\d.]+ at embedded redis-server at ${socket}$`) })
  t.match(named(checks, 'replay pages'), { status: 'ok' })
})

t.test('fusermount3, libfuse3 and redis-server missing: each a failure with the package to install', async t => {
  // A PATH with a shell and nothing else: what doctor looks for there is missing.
  const bin = tmp.dirSync({ unsafeCleanup: true }).name
  await fs.symlink('/bin/sh', path.join(bin, 'sh'))
  environment(t, { PATH: bin, DNPIPES_REDIS_URL: '' })
  const dataDir = tmp.dirSync({ unsafeCleanup: true }).name
  const { passed, checks } = await doctor(t, { dataDir })
  t.equal(passed, false)
  t.match(named(checks, '/dev/fuse'), { status: 'ok' }, 'the device is there all the same')
  t.same(named(checks, 'fusermount3'), { status: 'FAIL', name: 'fusermount3', detail: 'not found (mounting as a user other than root needs it)', fix: 'apt-get install fuse3' })
  t.same(named(checks, 'libfuse3'), { status: 'FAIL', name: 'libfuse3', detail: 'libfuse3.so.3 not found', fix: 'apt-get install fuse3' })
  t.match(named(checks, 'FUSE addon'), { status: 'FAIL', detail: 'not tried without libfuse3', fix: /^npm rebuild dnpipes/ })
  t.same(named(checks, 'redis-server'), { status: 'FAIL', name: 'redis-server', detail: 'not found; the embedded default needs it', fix: 'apt-get install redis-server, or pass --redis URL' })
})
