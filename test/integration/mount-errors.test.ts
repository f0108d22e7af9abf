import t from 'tap'
import { mountFor, redisFor } from '../helpers/fixture'
import { bash, run } from '../../scripts/support/processes'

// The errno a Unix user expects, and a topic left intact afterwards.

/** A node child that opens a file on the mount and reports each step's result as JSON. */
function fileScript (file: string, steps: string): Promise<string> {
  const program = `
    const fs = require('fs')
    const out = {}
    // libuv has no name for some errnos (ESTALE): name them from the number.
    const names = Object.entries(require('os').constants.errno)
    const nameOf = e => (names.find(([, n]) => n === -e.errno) || [e.code])[0]
    const attempt = (name, fn) => { try { fn(); out[name] = 'ok' } catch (e) { out[name] = nameOf(e) } }
    ${steps}
    console.log(JSON.stringify(out))`
  return run(process.execPath, ['-e', program], { env: { ...process.env, FILE: file } }).then(r => r.stdout.toString().trim())
}

t.test('names, links, special files, bad truncates', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server)
  const sh = (script: string) => bash(script, { cwd: dir })
  const long255 = 'n'.repeat(255)
  const long256 = 'n'.repeat(256)
  t.equal((await sh(`touch ${long255} && ls`)).stdout.toString(), `${long255}\n`, '255 bytes is a valid name')
  t.match((await sh(`touch ${long256}`)).stderr, /File name too long/)
  t.match((await sh(`cat ${long256}`)).stderr, /File name too long/)
  t.match((await sh('mkdir d && mkdir d')).stderr, /File exists/)
  t.match((await sh('touch d/x && rmdir d')).stderr, /Directory not empty/)
  t.match((await sh('mkdir e && touch e2 && mkdir f && touch f/x && mv -T e f')).stderr, /Directory not empty/)
  t.match((await sh('cat missing')).stderr, /No such file or directory/)
  t.match((await sh('touch target; ln -s target link')).stderr, /Operation not permitted/)
  t.match((await sh('ln target hard')).stderr, /Operation not permitted/)
  t.match((await sh('mkfifo fifo')).stderr, /Operation not permitted/)
  t.match((await sh('echo x > d')).stderr, /Is a directory/)
  t.match((await sh('echo abc >> target; truncate -s 2 target')).stderr, /Invalid argument/, 'only a truncate to 0 (a reset) is allowed')
  t.equal((await sh('cat target')).stdout.toString(), 'abc\n', 'the refused truncate left the topic intact')
  t.match((await sh('mv target .follow')).stderr, /Read-only file system|Operation not permitted/, '.follow is reserved at the root')
  t.equal((await sh('touch d/.follow && ls -a d')).stdout.toString(), '.\n..\n.follow\nx\n', 'only at the root')
  t.equal((await sh('ls')).stdout.toString(), `d\ne\ne2\nf\n${long255}\ntarget\n`)
})

t.test('a handle opened before its topic was removed fails with ESTALE, even with a partial line pending', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server)
  const file = `${dir}/t`
  await bash(`echo first > ${file}`)
  const result = await fileScript(file, `
    const fd = fs.openSync(process.env.FILE, 'a')
    attempt('before', () => fs.writeSync(fd, 'kept\\n'))
    fs.unlinkSync(process.env.FILE)
    fs.writeFileSync(process.env.FILE, 'recreated\\n')
    attempt('write', () => fs.writeSync(fd, 'lost\\n'))
    attempt('partial', () => fs.writeSync(fd, 'no newline'))
    attempt('close', () => fs.closeSync(fd))`)
  t.same(JSON.parse(result), { before: 'ok', write: 'ESTALE', partial: 'ok', close: 'ESTALE' })
  t.equal((await bash(`cat ${file}`)).stdout.toString(), 'recreated\n', 'the old handle never writes into the new topic')
})

t.test('a reset is not a removal: a handle writes on after truncate', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server)
  const result = await fileScript(`${dir}/r`, `
    fs.writeFileSync(process.env.FILE, 'old\\n')
    const fd = fs.openSync(process.env.FILE, 'a')
    fs.truncateSync(process.env.FILE, 0)
    attempt('write', () => fs.writeSync(fd, 'new\\n'))
    attempt('close', () => fs.closeSync(fd))`)
  t.same(JSON.parse(result), { write: 'ok', close: 'ok' })
  t.equal((await bash(`cat ${dir}/r`)).stdout.toString(), 'new\n')
})

t.test('--otrunc reset makes `>` a reset; the default ignores O_TRUNC', async t => {
  const server = await redisFor(t)
  const resetting = await mountFor(t, server, { args: ['--otrunc', 'reset'] })
  const plain = await mountFor(t, server)
  await bash(`echo a > ${plain.dir}/o; echo b > ${plain.dir}/o`)
  t.equal((await bash(`cat ${plain.dir}/o`)).stdout.toString(), 'a\nb\n')
  await bash(`echo c > ${resetting.dir}/o`)
  t.equal((await bash(`cat ${plain.dir}/o`)).stdout.toString(), 'c\n')
  await bash(`echo d >> ${resetting.dir}/o`)
  t.equal((await bash(`cat ${plain.dir}/o`)).stdout.toString(), 'c\nd\n', '>> still appends')
})

t.test('--read-only refuses every change with EROFS and still reads', async t => {
  const server = await redisFor(t)
  const writable = await mountFor(t, server)
  const readOnly = await mountFor(t, server, { args: ['--read-only'] })
  await bash(`echo data > ${writable.dir}/ro`)
  const sh = (script: string) => bash(script, { cwd: readOnly.dir })
  t.equal((await sh('cat ro')).stdout.toString(), 'data\n')
  for (const change of ['echo x >> ro', 'touch new', 'mkdir d', 'rm ro', 'truncate -s 0 ro', 'mv ro ro2']) {
    t.match((await sh(change)).stderr, /Read-only file system/, change)
  }
  t.equal((await sh('cat ro')).stdout.toString(), 'data\n')
})

t.test('Redis lost while mounted: EIO within the deadline, then working again by itself', async t => {
  const server = await redisFor(t)
  const { dir, daemon } = await mountFor(t, server, { args: ['--op-timeout', '1000'] })
  await bash(`echo before >> ${dir}/t`)
  await server.stop()
  const started = Date.now()
  const failed = await bash(`cat ${dir}/t; echo more >> ${dir}/t`)
  const elapsed = Date.now() - started
  t.match(failed.stderr, /Input\/output error/)
  t.ok(elapsed < 8000, `failed in ${elapsed} ms (two lookups and a write, 1 s deadline each)`)
  t.equal(daemon.exitCode, null, 'the daemon stays up')
  await server.start()
  let back = ''
  for (let i = 0; i < 50 && back !== 'before\n'; i++) {
    back = (await bash(`cat ${dir}/t 2>/dev/null`)).stdout.toString()
    if (back !== 'before\n') await new Promise(resolve => setTimeout(resolve, 100))
  }
  t.equal(back, 'before\n', 'reads work again after Redis restarts from its AOF')
  await bash(`echo after >> ${dir}/t`)
  t.equal((await bash(`cat ${dir}/t`)).stdout.toString(), 'before\nafter\n')
})
