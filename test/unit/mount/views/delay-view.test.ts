import { constants } from 'node:fs'
import t from 'tap'
import { DnpipesFilesystem, FilesystemOptions } from '../../../../src/mount/filesystem'
import type { TopicEngine } from '../../../../src/topics/engine'
import { MemoryEngine } from '../../../../src/topics/memory/memory-engine'
import { cat } from '../../../helpers/filesystem-calls'

// The `.delay/SECONDS/TOPIC` view and the user.dnpipes.delay-seconds attribute, on the memory
// engine: its due timers are real, so the delays here are a few hundred ms.
t.setTimeout(30_000)

// Linux's values, as the kernel passes them to the filesystem.
const { O_RDONLY, O_WRONLY, O_RDWR, O_TRUNC, S_IFREG, S_IFDIR } = constants

function filesystem (options: Partial<FilesystemOptions> = {}, engine: TopicEngine = new MemoryEngine()): DnpipesFilesystem {
  return new DnpipesFilesystem(engine, { framing: 'line', otrunc: 'reset', readOnly: false, ...options })
}

/** `printf text >> path`: the file opened for writing (created when `create`), written, closed. */
async function push (fs: DnpipesFilesystem, fusePath: string, text: string, { create = false, flags = O_WRONLY } = {}): Promise<void> {
  const handle = create ? await fs.create(fusePath) : await fs.open(fusePath, flags)
  await fs.write(fusePath, handle, Buffer.from(text))
  await fs.flush(fusePath, handle)
  await fs.release(fusePath, handle)
}

/** Resolves with what `cat` shows once it shows `expected`; rejects after 5 s. */
async function eventually (fs: DnpipesFilesystem, fusePath: string, expected: string): Promise<string> {
  const deadline = Date.now() + 5000
  for (;;) {
    const shown = await cat(fs, fusePath)
    if (shown === expected || Date.now() > deadline) return shown
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

t.test('.delay is listed at the root, lists nothing, and shows topics write-only with no size', async t => {
  const fs = filesystem()
  await push(fs, '/q', 'a\n', { create: true })
  await fs.mkdir('/team', 0o750)
  t.ok((await fs.readdir('/')).includes('.delay'))
  t.same(await fs.readdir('/.delay'), ['.', '..'])
  t.same(await fs.readdir('/.delay/5'), ['.', '..'])
  t.same(await fs.readdir('/.delay/0.5/team'), ['.', '..'])
  t.equal((await fs.getattr('/.delay')).mode & S_IFDIR, S_IFDIR)
  t.equal((await fs.getattr('/.delay/2.5')).mode & S_IFDIR, S_IFDIR)
  t.equal((await fs.getattr('/.delay/2.5/team')).mode, S_IFDIR | 0o750, 'a directory keeps its mode: a push may create a topic in it')
  const attr = await fs.getattr('/.delay/1/q')
  t.equal(attr.mode, S_IFREG | 0o200, 'the topic\'s write bits only (0644 less its read bits)')
  t.equal(attr.size, 0)
  await t.rejects(fs.getattr('/.delay/1/none'), { code: 'ENOENT' })
})

t.test('a delay that is not a number of seconds up to a week is EINVAL', async t => {
  const fs = filesystem()
  await push(fs, '/q', 'a\n', { create: true })
  for (const bad of ['abc', '-1', '1e3', '0x10', '604801', '', ' 1']) {
    await t.rejects(fs.getattr(`/.delay/${bad}/q`), { code: 'EINVAL' }, `getattr .delay/${bad}/q`)
    await t.rejects(fs.create(`/.delay/${bad}/r`), { code: 'EINVAL' }, `create .delay/${bad}/r`)
  }
  await t.rejects(fs.getattr('/.delay/x'), { code: 'EINVAL' })
  for (const good of ['0', '0.5', '.5', '3.', '604800']) t.ok(await fs.getattr(`/.delay/${good}/q`), good)
})

t.test('a push through .delay/S/ enters the topic S later, in due order, invisible until then', async t => {
  const engine = new MemoryEngine()
  const fs = filesystem({}, engine)
  await push(fs, '/q', 'now\n', { create: true })
  await push(fs, '/.delay/0.4/q', 'late\n')
  await push(fs, '/.delay/0.1/q', 'soon\n')
  t.equal(await cat(fs, '/q'), 'now\n', 'nothing scheduled is seen')
  t.equal((await engine.statTopic('q'))?.scheduled, 2, 'stat counts them as scheduled')
  t.equal(await eventually(fs, '/q', 'now\nsoon\nlate\n'), 'now\nsoon\nlate\n', 'the one pushed later but due earlier first')
})

t.test('a push through .delay/ creates a missing topic at once; its message waits', async t => {
  const engine = new MemoryEngine()
  const fs = filesystem({}, engine)
  await fs.mkdir('/team')
  await push(fs, '/.delay/0.1/team/new', 'job\n', { create: true })
  t.equal((await engine.statTopic('team/new'))?.entries, 0, 'the topic exists, empty')
  t.equal(await eventually(fs, '/team/new', 'job\n'), 'job\n')
})

t.test('.delay/ is write-only: reads are EACCES, O_TRUNC never resets, every other change is EROFS', async t => {
  const fs = filesystem()
  await push(fs, '/q', 'kept\n', { create: true })
  await t.rejects(fs.open('/.delay/1/q', O_RDONLY), { code: 'EACCES' })
  await t.rejects(fs.open('/.delay/1/q', O_RDWR), { code: 'EACCES' })
  await push(fs, '/.delay/0/q', 'more\n', { flags: O_WRONLY | O_TRUNC })
  t.equal(await eventually(fs, '/q', 'kept\nmore\n'), 'kept\nmore\n', '> on .delay/ pushes even with --otrunc reset')
  await t.rejects(fs.create('/.delay'), { code: 'EISDIR' }, '.delay itself holds directories')
  await t.rejects(fs.create('/.delay/5'), { code: 'EISDIR' }, 'and so does .delay/S')
  await t.rejects(fs.truncate('/.delay/1/q', 0), { code: 'EROFS' })
  await t.rejects(fs.unlink('/.delay/1/q'), { code: 'EROFS' })
  await t.rejects(fs.mkdir('/.delay/1/d'), { code: 'EROFS' })
  await t.rejects(fs.mkdir('/.delay'), { code: 'EROFS' })
  await t.rejects(fs.rename('/.delay/1/q', '/r'), { code: 'EROFS' })
  await t.rejects(fs.chmod('/.delay/1/q', 0o600), { code: 'EROFS' })
  await t.rejects(fs.setxattr('/.delay/1/q', 'user.dnpipes.delay-seconds', Buffer.from('1')), { code: 'EROFS' })
  const readOnly = filesystem({ readOnly: true }, fs.engine)
  await t.rejects(readOnly.open('/.delay/1/q', O_WRONLY), { code: 'EROFS' })
  await t.rejects(readOnly.create('/.delay/1/r'), { code: 'EROFS' })
})

t.test('user.dnpipes.delay-seconds: set, shown, listed while set, delays every push, lifted', async t => {
  const engine = new MemoryEngine()
  const fs = filesystem({}, engine)
  await push(fs, '/q', 'a\n', { create: true })
  t.equal(await fs.getxattr('/q', 'user.dnpipes.delay-seconds'), undefined, 'not set: ENODATA')
  await fs.setxattr('/q', 'user.dnpipes.delay-seconds', Buffer.from('0.2'))
  t.equal((await fs.getxattr('/q', 'user.dnpipes.delay-seconds'))?.toString(), '0.2')
  t.ok((await fs.listxattr('/q')).includes('user.dnpipes.delay-seconds'))
  await push(fs, '/q', 'b\n')
  t.equal(await cat(fs, '/q'), 'a\n', 'the push waits the topic\'s delay')
  t.equal(await eventually(fs, '/q', 'a\nb\n'), 'a\nb\n')
  await push(fs, '/.delay/0/q', 'c\n')
  t.equal(await eventually(fs, '/q', 'a\nb\nc\n'), 'a\nb\nc\n', '.delay/S/ overrides the topic\'s delay')
  for (const bad of ['x', '-1', '604801', '']) {
    await t.rejects(fs.setxattr('/q', 'user.dnpipes.delay-seconds', Buffer.from(bad)), { code: 'EINVAL' }, `"${bad}"`)
  }
  await fs.mkdir('/d')
  await t.rejects(fs.setxattr('/d', 'user.dnpipes.delay-seconds', Buffer.from('1')), { code: 'EISDIR' })
  await t.rejects(fs.setxattr('/none', 'user.dnpipes.delay-seconds', Buffer.from('1')), { code: 'ENOENT' })
  await t.rejects(fs.setxattr('/.follow/q', 'user.dnpipes.delay-seconds', Buffer.from('1')), { code: 'EROFS' })
  await fs.removexattr('/q', 'user.dnpipes.delay-seconds')
  t.notOk((await fs.listxattr('/q')).includes('user.dnpipes.delay-seconds'))
  await t.rejects(fs.removexattr('/q', 'user.dnpipes.delay-seconds'), { code: 'ENODATA' })
  await push(fs, '/q', 'd\n')
  t.equal(await cat(fs, '/q'), 'a\nb\nc\nd\n', 'lifted: pushes enter at once')
})
