import t from 'tap'
import { lsCommand, mkdirCommand, mvCommand, rmCommand } from '../../../src/commands/namespace-commands'
import { withStore } from '../../../src/commands/session'
import { pushCommand } from '../../../src/commands/topic-commands'
import { TopicError } from '../../../src/topics/errors'
import { freePort } from '../../../scripts/support/redis-server'
import { stdoutOf as bytesOf } from '../../helpers/captured-output'
import { redisPerFile } from '../../helpers/fixture'

// mkdir, rm, mv and ls without FUSE against a real redis-server: what they do to the namespace, print, and refuse.

const fixture = redisPerFile()

/** Options for a store of its own per test: a prefix of its own on the file's server. */
const on = (prefix: string) => ({ redis: fixture.server.url, prefix })

/** What `work` writes to stdout, as text. */
async function stdoutOf (work: () => Promise<unknown>): Promise<string> {
  return (await bytesOf(work)).toString()
}

/** What `ls` prints of `dir` under `prefix`. */
const ls = (prefix: string, dir?: string, long = false): Promise<string> => stdoutOf(() => lsCommand(dir, { ...on(prefix), long }))

/** The kind of each path under `prefix`, or undefined where there is nothing. */
async function kinds (prefix: string, paths: string[]): Promise<Array<string | undefined>> {
  return await withStore(on(prefix), async store => await Promise.all(paths.map(async path => (await store.stat(path))?.kind)))
}

const push = (prefix: string, topic: string, message = 'x'): Promise<void> => pushCommand(topic, [message], { ...on(prefix), framing: 'line' })

t.test('mkdir: one level at a time, as mkdir(1); -p makes the parents and takes an existing directory', async t => {
  await mkdirCommand(['/a', 'a/b/'], { ...on('mkdir:'), parents: false })
  t.same(await kinds('mkdir:', ['a', 'a/b']), ['directory', 'directory'], 'slashes at the ends do not matter')
  await t.rejects(mkdirCommand(['x/y'], { ...on('mkdir:'), parents: false }), { code: 'ENOENT' }, 'without -p the parent must exist')
  await t.rejects(mkdirCommand(['a'], { ...on('mkdir:'), parents: false }), new TopicError('EEXIST', 'a exists'))
  await mkdirCommand(['x/y/z', 'a', 'a/b/c'], { ...on('mkdir:'), parents: true })
  t.same(await kinds('mkdir:', ['x', 'x/y', 'x/y/z', 'a/b/c']), ['directory', 'directory', 'directory', 'directory'])
  await push('mkdir:', 'a/topic')
  await t.rejects(mkdirCommand(['a/topic/below'], { ...on('mkdir:'), parents: true }), new TopicError('ENOTDIR', 'a/topic is a topic'))
  await t.rejects(mkdirCommand(['a/topic'], { ...on('mkdir:'), parents: false }), { code: 'EEXIST' }, 'a topic of that name exists')
  await t.rejects(mkdirCommand(['made', 'a', 'not-made'], { ...on('mkdir:'), parents: false }), { code: 'EEXIST' })
  t.same(await kinds('mkdir:', ['made', 'not-made']), ['directory', undefined], 'the paths are made in order, up to the first that fails')
  await t.rejects(mkdirCommand(['.follow'], { ...on('mkdir:'), parents: false }), { code: 'EPERM' }, 'a view\'s name is reserved')
  await t.rejects(mkdirCommand(['a/../b'], { ...on('mkdir:'), parents: false }), { code: 'EINVAL' })
})

t.test('what mkdir and push make belongs to the user, with the process umask taken off', async t => {
  const umask = process.umask(0o027)
  t.teardown(() => { process.umask(umask) })
  await mkdirCommand(['private'], { ...on('umask:'), parents: false })
  await push('umask:', 'private/notes')
  t.match(await ls('umask:', 'private', true), /^total \d+\n-rw-r----- 1 root root 2 .* notes\n$/)
  t.match(await ls('umask:', undefined, true), /^total \d+\ndrwxr-x--- \d+ root root \d+ .* private\n$/)
})

t.test('rm: topics; a directory only with -r, and all under it; -f passes over what is missing', async t => {
  await push('rm:', 'jobs')
  await push('rm:', 'team/a/orders')
  await push('rm:', 'team/b/c/deep')
  await rmCommand(['/jobs'], { ...on('rm:'), recursive: false, force: false })
  t.same(await kinds('rm:', ['jobs']), [undefined])
  t.equal(await fixture.admin.exists('rm:{jobs}'), 0, 'its stream is gone from Redis')
  await t.rejects(rmCommand(['jobs'], { ...on('rm:'), recursive: false, force: false }), new TopicError('ENOENT', 'cannot remove jobs: no such topic or directory'))
  await t.rejects(rmCommand(['team'], { ...on('rm:'), recursive: false, force: false }), new TopicError('EISDIR', 'cannot remove team: is a directory (use -r)'))
  await t.rejects(rmCommand(['/'], { ...on('rm:'), recursive: false, force: false }), new TopicError('EISDIR', 'cannot remove /: is a directory (use -r)'))
  await t.rejects(rmCommand(['/'], { ...on('rm:'), recursive: true, force: true }), new TopicError('EPERM', 'the root cannot be removed'))
  t.same(await kinds('rm:', ['team/a/orders']), ['topic'], 'refusals removed nothing')
  await rmCommand(['gone', 'team/b', 'also-gone'], { ...on('rm:'), recursive: true, force: true })
  t.same(await kinds('rm:', ['team', 'team/a', 'team/a/orders', 'team/b', 'team/b/c', 'team/b/c/deep']), ['directory', 'directory', 'topic', undefined, undefined, undefined])
  t.equal(await fixture.admin.exists('rm:{team/b/c/deep}'), 0)
  await t.rejects(rmCommand(['team/a/orders', 'missing', 'team/a'], { ...on('rm:'), recursive: true, force: false }), { code: 'ENOENT' })
  t.same(await kinds('rm:', ['team/a/orders', 'team/a']), [undefined, 'directory'], 'in order, up to the first that fails')
})

t.test('mv: a topic renamed with its messages; into a directory that exists; never into itself', async t => {
  await push('mv:', 'jobs', 'first')
  await mvCommand('jobs', 'renamed', on('mv:'))
  t.same(await kinds('mv:', ['jobs', 'renamed']), [undefined, 'topic'])
  t.same((await fixture.admin.xrange('mv:{renamed}', '-', '+')).map(([, fields]) => fields[1]), ['first'], 'the messages went with it')
  await mkdirCommand(['archive'], { ...on('mv:'), parents: false })
  await mvCommand('/renamed/', '/archive/', on('mv:'))
  t.same(await kinds('mv:', ['renamed', 'archive/renamed']), [undefined, 'topic'], 'into the directory, under its own name')
  await mkdirCommand(['team/a'], { ...on('mv:'), parents: true })
  await mvCommand('team', 'archive', on('mv:'))
  t.same(await kinds('mv:', ['team', 'archive/team/a']), [undefined, 'directory'], 'a directory with what is under it')
  await t.rejects(mvCommand('archive', 'archive/team/x', on('mv:')), new TopicError('EINVAL', 'cannot move archive into itself'))
  await t.rejects(mvCommand('nope', 'other', on('mv:')), new TopicError('ENOENT', 'no such path nope'))
  await t.rejects(mvCommand('/', 'other', on('mv:')), { code: 'EPERM' })
  t.same(await kinds('mv:', ['archive', 'other']), ['directory', undefined], 'refusals moved nothing')
})

t.test('ls: names, directories ending in /; a topic lists itself; -l lines as ls -l prints them', async t => {
  t.equal(await ls('ls:'), '', 'an empty store lists nothing')
  await push('ls:', 'team/a/orders', 'abc')
  await push('ls:', 'top')
  await mkdirCommand(['team/b'], { ...on('ls:'), parents: true })
  t.equal(await ls('ls:'), 'team/\ntop\n')
  t.equal(await ls('ls:', '/team/'), 'a/\nb/\n')
  t.equal(await ls('ls:', 'team/a/orders'), 'team/a/orders\n', 'a topic lists itself, by its path')
  await t.rejects(lsCommand('nope', { ...on('ls:'), long: false }), new TopicError('ENOENT', 'no such directory nope'))
  await t.rejects(lsCommand('team/nope', { ...on('ls:'), long: true }), { code: 'ENOENT' })
  const long = (await ls('ls:', 'team/a', true)).split('\n')
  t.equal(long.length, 3)
  t.match(long[0], /^total \d+$/)
  t.match(long[1], /^-rw-r--r-- 1 root root 4 \w{3} [ \d]\d \d\d:\d\d orders$/, 'mode, links, owner, group, size (the message and its newline), time, name')
  t.match(await ls('ls:', 'team/a/orders', true), /^total \d+\n-rw-r--r-- 1 root root 4 .* team\/a\/orders\n$/)
  t.match(await ls('ls:', 'team', true), /^total \d+\ndrwxr-xr-x \d+ root root \d+ .* a\ndrwxr-xr-x \d+ root root \d+ .* b\n$/)
})

t.test('Redis unreachable: each command fails saying which Redis it could not use', async t => {
  const options = { redis: `redis://127.0.0.1:${await freePort()}`, prefix: 'down:' }
  const failure = /^cannot use Redis at redis:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/
  await t.rejects(mkdirCommand(['a'], { ...options, parents: true }), { message: failure })
  await t.rejects(rmCommand(['a'], { ...options, recursive: true, force: true }), { message: failure }, 'also with -f')
  await t.rejects(mvCommand('a', 'b', options), { message: failure })
  await t.rejects(lsCommand(undefined, { ...options, long: false }), { message: failure })
})
