import { promises as fs } from 'node:fs'
import t, { Test } from 'tap'
import { mount, MountedDir } from '../../scripts/support/mount'
import { sh } from '../../scripts/support/processes'
import { RedisServer, startRedis } from '../../scripts/support/redis-server'
import { pollUntil, sleep } from '../../src/util/deadline'

// The kernel keeps the attributes of the topics and directories a mount holds (for a second),
// and is told to drop them when they change: by another mount, by this one, or when the mount
// can no longer hear of changes. Two real mounts on one redis-server; each daemon's debug log
// shows the requests the kernel sent it and the notifications it wrote.

let server: RedisServer
t.before(async () => { server = await startRedis() })
t.teardown(() => server.stop())

const DEBUG_ENV = { ...process.env, DEBUG: 'dnpipes:fuse' }

/** A mount of its own namespace per test (`prefix`), with the debug log when asked. */
async function mounted (t: Test, prefix: string, debug: boolean): Promise<MountedDir> {
  const m = await mount(server.url, { args: ['--prefix', prefix], ...(debug ? { env: DEBUG_ENV } : {}) })
  t.teardown(() => m.stop())
  return m
}

/** How many lines of the daemon's log contain `text`. */
const count = (m: MountedDir, text: string): number => m.output().split('\n').filter(line => line.includes(text)).length
/** The requests that ask the daemon for the attributes of the paths that begin with `path`. */
const asked = (m: MountedDir, path: string): number => count(m, `dnpipes:fuse getattr ${path}`) + count(m, `dnpipes:fuse lookup ${path}`)
/** Resolves once the daemon told the kernel that `what`'s attributes changed more than `before` times. */
async function notified (m: MountedDir, what: string, before: number): Promise<boolean> {
  return await pollUntil(() => count(m, `attributes changed: ${what},`) > before, { timeoutMs: 5000, intervalMs: 2 })
}

t.test('twenty stats of a held topic: the kernel asks once', async t => {
  const a = await mounted(t, 'k1:', true)
  await fs.writeFile(`${a.dir}/t`, 'a\n')
  const before = asked(a, '/t')
  for (let i = 0; i < 20; i++) t.equal((await fs.stat(`${a.dir}/t`)).size, 2)
  // One, and one more if the name's own second ran out in between.
  t.ok(asked(a, '/t') - before <= 2, `${asked(a, '/t') - before} request(s) for 20 stats`)
})

t.test('a listing hands the kernel the attributes the mount holds: `ls -l` asks no lookup or getattr of them', async t => {
  const a = await mounted(t, 'k5:', true)
  await fs.mkdir(`${a.dir}/d`)
  for (let i = 0; i < 20; i++) await fs.writeFile(`${a.dir}/d/t${i}`, 'x\n')
  for (let i = 0; i < 20; i++) await fs.stat(`${a.dir}/d/t${i}`)
  // The kernel's own second for those names and attributes runs out; the mount still holds them.
  await sleep(1100)
  const before = asked(a, '/d/t')
  const listing = (await sh(`ls -l ${a.dir}/d`)).stdout.toString().trim().split('\n').slice(1)
  t.equal(listing.length, 20)
  t.ok(listing.every(line => / 2 [A-Z][a-z]{2} /.test(line)), 'every size right')
  t.equal(asked(a, '/d/t') - before, 0, 'no lookup, no getattr')
  t.ok(count(a, 'dnpipes:fuse readdir /d ') > 0, 'the listing itself was asked')
})

t.test('another mount\'s append, chmod and removal reach the kernel\'s kept attributes as Redis announces them', async t => {
  const a = await mounted(t, 'k2:', true)
  const b = await mounted(t, 'k2:', false)
  await fs.writeFile(`${a.dir}/t`, 'a\n')
  await fs.mkdir(`${a.dir}/d`)
  t.equal((await fs.stat(`${a.dir}/t`)).size, 2)
  t.equal((await fs.stat(`${a.dir}/d`)).mode & 0o777, 0o755)

  let told = count(a, 'attributes changed: /t,')
  await fs.appendFile(`${b.dir}/t`, 'bb\n')
  t.ok(await notified(a, '/t', told), 'the kernel was told')
  t.equal((await fs.stat(`${a.dir}/t`)).size, 5, 'and the next stat has the new size')

  told = count(a, 'attributes changed: /t,')
  await fs.chmod(`${b.dir}/t`, 0o600)
  t.ok(await notified(a, '/t', told))
  t.equal((await fs.stat(`${a.dir}/t`)).mode & 0o777, 0o600, 'a chmod')

  await fs.stat(`${a.dir}/d`)
  told = count(a, 'attributes changed: /d,')
  await fs.chmod(`${b.dir}/d`, 0o700)
  t.ok(await notified(a, '/d', told))
  t.equal((await fs.stat(`${a.dir}/d`)).mode & 0o777, 0o700, 'a directory\'s chmod')

  await fs.stat(`${a.dir}/t`)
  told = count(a, 'attributes changed: /t,')
  await fs.unlink(`${b.dir}/t`)
  t.ok(await notified(a, '/t', told))
  await t.rejects(fs.stat(`${a.dir}/t`), { code: 'ENOENT' }, 'a removal')
})

t.test('what a mount changes itself is never stale in its kernel', async t => {
  const a = await mounted(t, 'k3:', false)
  await fs.writeFile(`${a.dir}/t`, '')
  let wrong = ''
  for (let n = 1; n <= 100 && !wrong; n++) {
    await fs.appendFile(`${a.dir}/t`, 'x\n')
    const size = (await fs.stat(`${a.dir}/t`)).size
    if (size !== 2 * n) wrong = `after append ${n}: size ${size}, not ${2 * n}`
  }
  t.equal(wrong, '', '100 appends, each seen by the stat right after it')
  await fs.appendFile(`${a.dir}/t`, 'no tail')
  t.equal((await fs.stat(`${a.dir}/t`)).size, 207, 'a last line without its newline, pushed at close')
  await fs.truncate(`${a.dir}/t`, 0)
  t.equal((await fs.stat(`${a.dir}/t`)).size, 0, 'a truncate')
  await fs.writeFile(`${a.dir}/t`, 'abc\n')
  await fs.writeFile(`${a.dir}/t`, 'z\n')
  t.equal((await fs.stat(`${a.dir}/t`)).size, 6, 'an O_TRUNC open pushes, as `echo z > t` does (the kernel had set its size to 0)')
  await fs.chmod(`${a.dir}/t`, 0o640)
  t.equal((await fs.stat(`${a.dir}/t`)).mode & 0o777, 0o640, 'a chmod')
})

t.test('when the mount cannot hear of changes any more, the kernel drops everything it keeps', async t => {
  const a = await mounted(t, 'k4:', true)
  const b = await mounted(t, 'k4:', false)
  await fs.writeFile(`${a.dir}/t`, 'a\n')
  t.equal((await fs.stat(`${a.dir}/t`)).size, 2)
  const told = count(a, 'attributes changed: every path,')
  const admin = server.client()
  t.teardown(() => admin.quit())
  // The subscribers of both mounts: the tracking invalidations and the directories channel.
  await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
  t.ok(await notified(a, 'every path', told), 'the kernel was told of every path')
  await fs.appendFile(`${b.dir}/t`, 'bb\n')
  t.equal((await fs.stat(`${a.dir}/t`)).size, 5, 'the next stat asks')
})

t.test('lookups of a held name are answered by the reader, without JavaScript, until the name changes; the kernel\'s references stay counted', async t => {
  const a = await mounted(t, 'k6:', true)
  const b = await mounted(t, 'k6:', false)
  await fs.writeFile(`${a.dir}/t`, 'a\n')
  const size = async (): Promise<number> => (await fs.stat(`${a.dir}/t`)).size
  const lookups = (): number => count(a, 'dnpipes:fuse lookup /t')
  // The name's second in the kernel runs out: the next stat is a lookup, which the daemon
  // answers and hands to the reader; after the next second, the reader answers (a round may be
  // taken again, up to three, if another test's drop_caches made the kernel forget the node).
  await sleep(1100)
  t.equal(await size(), 2)
  let reached = -1
  for (let round = 0; round < 3 && reached !== 0; round++) {
    await sleep(1100)
    const asked = lookups()
    t.equal(await size(), 2)
    reached = lookups() - asked
  }
  t.equal(reached, 0, 'a lookup answered without JavaScript')

  await fs.appendFile(`${a.dir}/t`, 'bb\n')
  t.equal(await size(), 5, 'this mount\'s append, at once')
  await sleep(1100)
  t.equal(await size(), 5, 'and after the name\'s second: the reader does not answer with what it held before')
  const told = count(a, 'attributes changed: /t,')
  await fs.appendFile(`${b.dir}/t`, 'ccc\n')
  t.ok(await notified(a, '/t', told), 'another mount\'s append is announced')
  await sleep(1100)
  t.equal(await size(), 9, 'the lookup after it asks the daemon, not what the reader held')

  // The kernel forgets the node, giving back every reference, the reader's included: the
  // node table must have counted them all, or the node would be gone while still in use.
  await fs.writeFile('/proc/sys/vm/drop_caches', '2')
  t.equal(await size(), 9, 'after the kernel forgot the node')
  await sleep(1100)
  t.equal(await size(), 9)
  await fs.rm(`${a.dir}/t`)
  await t.rejects(fs.stat(`${a.dir}/t`), { code: 'ENOENT' }, 'a removal is not answered from what was held')
  await fs.writeFile(`${a.dir}/t`, 'z\n')
  t.equal(await size(), 2, 'the new topic of that name')
  await fs.rename(`${a.dir}/t`, `${a.dir}/u`)
  await t.rejects(fs.stat(`${a.dir}/t`), { code: 'ENOENT' }, 'a rename away')
  t.equal((await fs.stat(`${a.dir}/u`)).size, 2)
})
