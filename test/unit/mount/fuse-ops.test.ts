import { constants } from 'node:fs'
import t from 'tap'
import { RequestState, withRequest } from '../../../src/fuse/context'
import type { Operations } from '../../../src/fuse/operations'
import { UNIQUE_RESEND } from '../../../src/fuse/protocol'
import type { Stat } from '../../../src/fuse/types'
import { Errno } from '../../../src/mount/errno'
import { DnpipesFilesystem } from '../../../src/mount/filesystem'
import { buildOperations, OperationOptions } from '../../../src/mount/fuse-ops'
import { Metrics } from '../../../src/mount/metrics'
import { UNKNOWN_SPACE } from '../../../src/mount/space'
import type { TopicEngine } from '../../../src/topics/engine'
import { TopicError } from '../../../src/topics/errors'
import { MemoryEngine } from '../../../src/topics/memory/memory-engine'
import { PageGarbage } from '../../../src/util/page-garbage'
import { messagesOf } from '../../helpers/topic-io'
import { spyEngine } from '../../helpers/engine-spy'

// buildOperations over DnpipesFilesystem on the memory engine: answers, errnos, deadline, metrics, caller.
// Waits are on promises; the timeout only bounds a test whose wait never ends.
t.setTimeout(30_000)

const { O_RDONLY, O_WRONLY } = constants

function setup (options: Partial<OperationOptions> = {}, engine: TopicEngine = new MemoryEngine(), writer?: string): { ops: Required<Operations>, fs: DnpipesFilesystem } {
  const fs = new DnpipesFilesystem(engine, { framing: 'line', otrunc: 'ignore', readOnly: false, lookupFreshMs: 60_000, writer })
  return { ops: buildOperations(fs, { opTimeoutMs: 5000, ...options }) as Required<Operations>, fs }
}

/** An operation's answer: its code and value (for write, the count in code). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function answer<T = any> (call: (cb: (code: number, value?: T) => void) => void): Promise<{ code: number, value?: T }> {
  return new Promise(resolve => call((code, value) => resolve({ code, value })))
}

/** A request made by process 4242 of uid 1234, as the FUSE layer makes it current. */
function request (unique = 9n, umask = 0o022): RequestState {
  return new RequestState(1234, 567, 4242, umask, 35, unique)
}

/** Creates `path` holding `text` through the operations, closed. */
async function put (ops: Required<Operations>, path: string, text: string): Promise<void> {
  const { value: fd } = await answer<number>(cb => ops.create(path, 0o644, cb))
  await answer(cb => ops.write(path, fd!, Buffer.from(text), text.length, 0, cb))
  await answer(cb => ops.release(path, fd!, cb))
}

async function counted (metrics: Metrics, op: string): Promise<number> {
  return (await metrics.operations.get()).values.find(v => v.labels.op === op)?.value ?? 0
}

async function errorsCounted (metrics: Metrics): Promise<string[]> {
  return (await metrics.errors.get()).values.map(v => `${v.labels.op} ${v.labels.errno} ${v.value}`)
}

t.test('each operation answers what the filesystem gives: handles, counts, data, names, attributes', async t => {
  const { ops } = setup()
  const created = await answer<number>(cb => ops.create('/t', 0o644, cb))
  t.equal(created.code, 0)
  t.ok(created.value! > 0, 'a handle')
  t.same(await answer(cb => ops.write('/t', created.value!, Buffer.from('hello\nXX'), 6, 0, cb)), { code: 6 }, 'the count written, in code; only `length` bytes of the buffer')
  t.same(await answer(cb => ops.flush('/t', created.value!, cb)), { code: 0 })
  t.same(await answer(cb => ops.release('/t', created.value!, cb)), { code: 0 })
  const opened = await answer<number>(cb => ops.open('/t', O_RDONLY, cb))
  const read = await answer<Buffer>(cb => ops.read('/t', opened.value!, 4096, 0, cb))
  t.same([read.code, read.value?.toString()], [0, 'hello\n'])
  const stat = await answer<Stat>(cb => ops.getattr('/t', cb))
  t.same([stat.code, stat.value?.size], [0, 6])
  t.equal((await answer<Stat>(cb => ops.fgetattr('/t', opened.value!, cb))).value?.size, 6, 'fstat of the open file')
  t.same((await answer<string[]>(cb => ops.readdir('/', cb))).value, ['.', '..', '.follow', '.live', '.group', '.delay', 't'])
  t.same(await answer(cb => ops.mkdir('/d', 0o755, cb)), { code: 0 })
  t.same(await answer(cb => ops.rename('/t', '/d/t', cb)), { code: 0 })
  t.same(await answer(cb => ops.chmod('/d/t', 0o600, cb)), { code: 0 })
  t.same(await answer(cb => ops.chown('/d/t', 0xffffffff, 0xffffffff, cb)), { code: 0 })
  t.same(await answer(cb => ops.utimens('/d/t', 0, 0, cb)), { code: 0 })
  t.same(await answer(cb => ops.access('/d/t', constants.R_OK, cb)), { code: 0 })
  t.ok((await answer<string[]>(cb => ops.listxattr('/d/t', cb))).value?.includes('user.dnpipes.entries'))
  t.equal((await answer<Buffer>(cb => ops.getxattr('/d/t', 'user.dnpipes.entries', 0, cb))).value?.toString(), '1')
  t.same(await answer(cb => ops.getxattr('/d/t', 'user.other', 0, cb)), { code: 0, value: undefined }, 'a name that is not dnpipes\': nothing (the FUSE layer answers ENODATA)')
  t.same(await answer(cb => ops.truncate('/d/t', 0, cb)), { code: 0 })
  t.same(await answer(cb => ops.ftruncate('/d/t', opened.value!, 0, cb)), { code: 0 })
  t.same(await answer(cb => ops.unlink('/d/t', cb)), { code: 0 })
  t.same(await answer(cb => ops.rmdir('/d', cb)), { code: 0 })
})

t.test('a failure answers its errno; the code of a write failure is the negative errno', async t => {
  const { ops } = setup()
  t.same(await answer(cb => ops.getattr('/none', cb)), { code: Errno.ENOENT })
  t.same(await answer(cb => ops.open('/none', O_WRONLY, cb)), { code: Errno.ESTALE }, 'a name gone since the lookup')
  t.same(await answer(cb => ops.mkdir('/.follow/d', 0o755, cb)), { code: Errno.EROFS })
  await put(ops, '/t', 'x\n')
  t.same(await answer(cb => ops.truncate('/t', 3, cb)), { code: Errno.EINVAL })
  t.same(await answer(cb => ops.read('/t', 999, 10, 0, cb)), { code: Errno.EBADF })
  t.same(await answer(cb => ops.write('/t', 999, Buffer.from('x'), 1, 0, cb)), { code: Errno.EBADF })
  t.same(await answer(cb => ops.setxattr('/t', 'user.dnpipes.key', Buffer.from('x'), 0, 0, cb)), { code: Errno.ENOTSUP })
})

t.test('what no topic can be is refused without the filesystem: readlink EINVAL, symlink, link and mknod EPERM; fsync is done at once', async t => {
  const spy = spyEngine()
  const { ops } = setup({}, spy.engine)
  spy.calls.length = 0
  t.same(await answer(cb => ops.readlink('/t', cb)), { code: Errno.EINVAL })
  t.same(await answer(cb => ops.symlink('/t', '/l', cb)), { code: Errno.EPERM })
  t.same(await answer(cb => ops.link('/t', '/l', cb)), { code: Errno.EPERM })
  t.same(await answer(cb => ops.mknod('/n', 0o10644, 0, cb)), { code: Errno.EPERM })
  let synced: number | undefined
  ops.fsync('/t', false, 1, code => { synced = code })
  t.equal(synced, 0, 'answered before fsync returns: every acknowledged write is in Redis')
  t.same(spy.calls, [])
})

t.test('a failure that is no TopicError is EIO, and every operation is counted, failures by errno', async t => {
  const spy = spyEngine()
  const metrics = new Metrics({ blockedFollowers: () => 0, redisStatus: () => 'ready' })
  const { ops } = setup({ metrics }, spy.engine)
  await put(ops, '/t', 'x\n')
  spy.failNext('stat', new Error('connection reset'))
  t.same(await answer(cb => ops.getattr('/t', cb)), { code: Errno.EIO })
  t.same(await answer(cb => ops.getattr('/none', cb)), { code: Errno.ENOENT })
  t.equal((await answer(cb => ops.getattr('/t', cb))).code, 0)
  t.equal(await counted(metrics, 'getattr'), 3)
  t.same(await errorsCounted(metrics), ['getattr EIO 1', 'getattr ENOENT 1'])
  t.equal(await counted(metrics, 'create'), 1)
  t.equal(await counted(metrics, 'write'), 1)
  const durations = (await metrics.duration.get()).values.filter(v => v.metricName === 'dnpipes_operation_duration_seconds_count' && v.labels.op === 'getattr')
  t.same(durations.map(v => v.value), [3], 'each one timed')
})

t.test('an operation that outlasts opTimeoutMs answers EIO and says so; the work goes on', async t => {
  const inner = new MemoryEngine()
  let go!: () => void
  const gate = new Promise<void>(resolve => { go = resolve })
  let removing: Promise<void> | undefined
  // An engine whose rmdir waits for the gate: the operation's answer cannot wait that long.
  const engine = Object.assign(Object.create(inner) as MemoryEngine, { rmdir: (path: string) => (removing = gate.then(() => inner.rmdir(path))) })
  let timeouts = 0
  const { ops, fs } = setup({ opTimeoutMs: 5, onTimeout: () => timeouts++ }, engine)
  await fs.mkdir('/d')
  t.same(await answer(cb => ops.rmdir('/d', cb)), { code: Errno.EIO })
  t.equal(timeouts, 1)
  go()
  await removing
  await t.rejects(fs.getattr('/d'), { code: 'ENOENT' }, 'the rmdir went on after its answer')
  t.same(await answer(cb => ops.rmdir('/none', cb)), { code: Errno.ENOENT }, 'an operation within its time is answered as usual')
  t.equal(timeouts, 1, 'a failure within its time is no timeout')
})

t.test('a follower\'s read has no deadline: it waits for the next message however long', async t => {
  const spy = spyEngine()
  let timeouts = 0
  const { ops } = setup({ opTimeoutMs: 5, onTimeout: () => timeouts++ }, spy.engine)
  await put(ops, '/t', '')
  const { value: fd } = await answer<number>(cb => ops.open('/.live/t', O_RDONLY, cb))
  let read: { code: number, value?: Buffer } | undefined
  const reading = answer<Buffer>(cb => ops.read('/.live/t', fd!, 4096, 0, cb)).then(result => { read = result })
  // A bounded operation started after the read, with the same deadline, runs out first.
  const release = spy.hold('stat')
  t.same(await answer(cb => ops.getattr('/t', cb)), { code: Errno.EIO })
  t.equal(timeouts, 1, 'only the getattr timed out')
  t.equal(read, undefined, 'the read still waits')
  release()
  await put(ops, '/t', 'news\n')
  await reading
  t.same([read?.code, read?.value?.toString()], [0, 'news\n'])
})

t.test('a lookup the filesystem can answer without I/O is answered before the call returns, and counted', async t => {
  const spy = spyEngine()
  const metrics = new Metrics({ blockedFollowers: () => 0, redisStatus: () => 'ready' })
  const { ops } = setup({ metrics }, spy.engine)
  await put(ops, '/t', 'x\n')
  await answer(cb => ops.readdir('/', cb))
  spy.calls.length = 0
  let looked: { code: number, stat?: Stat } | undefined
  ops.lookup('/t', (code, stat) => { looked = { code, stat } })
  t.equal(looked?.code, 0, 'answered synchronously: a name just listed')
  t.equal((looked!.stat!.mode & 0o170000), constants.S_IFREG)
  t.same(spy.calls, [], 'nothing asked of the engine')
  t.equal(await counted(metrics, 'lookup'), 1)
  let after: number | undefined
  ops.lookup('/t', code => { after = code })
  t.equal(after, undefined, 'a second lookup of the name asks the engine: not answered at once')
  await t.resolves(() => new Promise<void>(resolve => ops.lookup('/t', () => resolve())))
})

t.test('a lookup of a name the rules refuse answers the refusal, counted as a failure', async t => {
  const metrics = new Metrics({ blockedFollowers: () => 0, redisStatus: () => 'ready' })
  const { ops } = setup({ metrics })
  t.same(await answer(cb => ops.lookup('/bad\uFFFDname', cb)), { code: Errno.EILSEQ })
  t.same(await answer(cb => ops.getattr('/' + 'n'.repeat(256), cb)), { code: Errno.ENAMETOOLONG })
  t.same(await errorsCounted(metrics), ['lookup EILSEQ 1', 'getattr ENAMETOOLONG 1'])
})

t.test('the getattr right after a lookup is answered from it, unless an operation that changes things started in between', async t => {
  const spy = spyEngine()
  const { ops } = setup({}, spy.engine)
  await put(ops, '/t', 'x\n')
  const { value: fd } = await answer<number>(cb => ops.open('/t', O_WRONLY, cb))
  const stats = (): number => spy.calls.filter(call => call === 'stat').length

  await answer(cb => ops.lookup('/t', cb))
  // A listing of a view: one that lists nothing, so that the lookups below reach the engine.
  await answer(cb => ops.readdir('/.follow', cb))
  await answer(cb => ops.access('/', constants.X_OK, cb))
  let before = stats()
  await answer(cb => ops.getattr('/t', cb))
  t.equal(stats(), before, 'a readdir and an access in between change nothing: answered from the lookup')

  for (const [name, change] of [
    ['flush', (cb: (code: number) => void) => ops.flush('/t', fd!, cb)],
    ['write', (cb: (code: number) => void) => ops.write('/t', fd!, Buffer.from('y\n'), 2, 0, cb)],
    ['chmod', (cb: (code: number) => void) => ops.chmod('/t', 0o644, cb)]
  ] as const) {
    await answer(cb => ops.lookup('/t', cb))
    await answer(change)
    before = stats()
    await answer(cb => ops.getattr('/t', cb))
    t.equal(stats(), before + 1, `a ${name} in between: the getattr asks the engine`)
  }
})

t.test('statfs: a fixed 1 TiB without a source of space; the source\'s answer, or EIO when it fails', async t => {
  let fixed: { code: number, space?: unknown } | undefined
  setup().ops.statfs('/', (code, space) => { fixed = { code, space } })
  t.same(fixed, { code: 0, space: UNKNOWN_SPACE }, 'answered at once')
  const space = { ...UNKNOWN_SPACE, bfree: 1 }
  t.same(await answer(cb => setup({ statfs: async () => space }).ops.statfs('/', cb)), { code: 0, value: space })
  t.same(await answer(cb => setup({ statfs: async () => { throw new Error('Redis is away') } }).ops.statfs('/', cb)), { code: Errno.EIO })
  t.same(await answer(cb => setup({ statfs: async () => { throw new TopicError('EACCES', 'no') } }).ops.statfs('/', cb)), { code: Errno.EACCES })
})

t.test('the caller of create and mkdir owns what it makes, with its umask', async t => {
  const { ops, fs } = setup()
  await withRequest(request(9n, 0o077), () => answer(cb => ops.mkdir('/d', 0o777, cb)))
  await withRequest(request(10n, 0o027), () => answer<number>(cb => ops.create('/d/t', 0o666, cb)))
  const dir = await fs.getattr('/d')
  const topic = await fs.getattr('/d/t')
  t.same([dir.uid, dir.gid, dir.mode & 0o777], [1234, 567, 0o700])
  t.same([topic.uid, topic.gid, topic.mode & 0o777], [1234, 567, 0o640])
})

t.test('the request\'s number goes with each write: a write asked for again is applied once', async t => {
  const { ops, fs } = setup({}, new MemoryEngine(), 'mount-1')
  await put(ops, '/t', '')
  const { value: fd } = await answer<number>(cb => ops.open('/t', O_WRONLY, cb))
  const write = (unique: bigint): Promise<{ code: number }> => withRequest(request(unique), () => answer(cb => ops.write('/t', fd!, Buffer.from('one\n'), 4, 0, cb)))
  t.same(await write(50n), { code: 4 })
  t.same(await write(50n | UNIQUE_RESEND), { code: 4 }, 'answered as written')
  t.same(await write(51n), { code: 4 })
  t.same(await messagesOf(fs.engine, 't'), ['one\n', 'one\n'], 'the resent copy was not applied again')
})

t.test('bytes read and written are counted; every read\'s bytes go to the page collector', async t => {
  const metrics = new Metrics({ blockedFollowers: () => 0, redisStatus: () => 'ready' })
  let collections = 0
  const garbage = new PageGarbage(10, () => collections++)
  const { ops } = setup({ metrics, garbage })
  await put(ops, '/t', 'hello\nworld\n')
  t.equal((await metrics.bytesWritten.get()).values[0]?.value, 12)
  const { value: fd } = await answer<number>(cb => ops.open('/t', O_RDONLY, cb))
  await answer(cb => ops.read('/t', fd!, 6, 0, cb))
  t.equal(collections, 0, 'six bytes: not yet')
  await answer(cb => ops.read('/t', fd!, 4096, 6, cb))
  t.equal(collections, 1, 'twelve bytes: past the collector\'s ten')
  t.equal((await metrics.bytesRead.get()).values[0]?.value, 12)
  t.same(await answer(cb => ops.read('/t', fd!, 4096, 12, cb)), { code: 0, value: Buffer.alloc(0) }, 'end of file')
})
