import t from 'tap'
import { DirectoryCache } from '../../../../src/topics/redis/directory-cache'
import type { DirectoryWatch } from '../../../../src/topics/redis/directory-watch'
import { KeyLayout } from '../../../../src/topics/redis/keys'
import { Lookup } from '../../../../src/topics/redis/lookup'
import { Namespace } from '../../../../src/topics/redis/namespace'
import { ScriptRunner } from '../../../../src/topics/redis/script-runner'
import { connectedPerFile } from '../../../helpers/fixture'

// Names on Redis (src/topics/redis/namespace.ts), on a real redis-server: the order a create and a
// removal write in and what a half-done one leaves, the announcements of changed directories,
// the forgetting of what is held, and the forwarding addresses renames leave.

const fixture = connectedPerFile('namespace-test')

let counter = 0
interface Setup { names: Namespace, lookup: Lookup, runner: ScriptRunner, keys: KeyLayout }

function setup (options: { cluster?: boolean, directories?: DirectoryCache } = {}): Setup {
  const keys = new KeyLayout(`ns${counter++}:`)
  const runner = new ScriptRunner(fixture.redis)
  const lookup = new Lookup(runner, keys, 256, options.cluster ?? false, {}, options.directories)
  // Only its cache is used here: a watch that hears no announcement, so what is forgotten is Namespace's own doing.
  const watch = options.directories && { cache: options.directories } as unknown as DirectoryWatch
  return { names: new Namespace(runner, keys, lookup, options.cluster ?? false, watch), lookup, runner, keys }
}

/** The paths announced on `channel` while `work` runs, in order (a last PUBLISH of its own marks the end). */
async function announced (channel: string, work: () => Promise<unknown>): Promise<string[]> {
  const subscriber = fixture.server.client()
  await subscriber.subscribe(channel)
  const heard: string[] = []
  const ended = new Promise<void>(resolve => subscriber.on('message', (_channel: string, path: string) => {
    if (path === '<end>') resolve()
    else heard.push(path)
  }))
  try {
    await work()
    await fixture.admin.publish(channel, '<end>')
    await ended
    return heard
  } finally {
    subscriber.disconnect()
  }
}

t.test('create writes the topic before its listing: a topic left unlisted blocks the name, and stays unlisted', async t => {
  const { names, runner, keys, lookup } = setup()
  const { stream, meta } = keys.topic('half')
  await runner.run('create', [stream, meta], ['left-by-a-crash', '', '', ''])
  await t.rejects(names.create('half'), { code: 'EEXIST' })
  t.same(await names.list(''), [], 'not listed by the refused create')
  t.match(await lookup.statTopic('half'), { uid: 'left-by-a-crash' })
  await names.remove('half')
  t.equal(await fixture.admin.exists(meta), 0, 'a removal takes it away, listed or not')
  t.match(await names.create('half'), { kind: 'topic', size: 0 })
  t.same(await names.list(''), [{ name: 'half', kind: 'topic' }])
})

t.test('create refuses a directory, a missing or topic parent, and bad names, writing nothing', async t => {
  const { names, keys } = setup()
  await names.mkdir('d')
  await names.create('t')
  await t.rejects(names.create('d'), { code: 'EEXIST' })
  await t.rejects(names.create('none/x'), { code: 'ENOENT' })
  await t.rejects(names.create('t/x'), { code: 'ENOTDIR' })
  await t.rejects(names.create('d/../x'), { code: 'EINVAL' })
  await t.rejects(names.create('x'.repeat(256)), { code: 'ENAMETOOLONG' })
  await t.rejects(names.create('.group'), { code: 'EPERM' })
  t.same((await fixture.admin.keys(`${keys.prefix}*`)).sort(), [keys.directory(''), keys.directoryAttributes(''), keys.directoryAttributes('d'), keys.topic('t').meta].sort(), 'no stream, meta or listing for what was refused')
})

t.test('a name listed as a topic that is not there: remove unlists it; chmod and rmdir say what is wrong', async t => {
  const { names, keys } = setup()
  await fixture.admin.hset(keys.directory(''), 'dangling', 'f')
  await t.rejects(names.changeOwnership('dangling', { mode: 0o600 }), { code: 'ENOENT' })
  await t.rejects(names.rmdir('dangling'), { code: 'ENOTDIR' })
  await names.remove('dangling')
  t.same(await names.list(''), [], 'unlisted')
  await t.rejects(names.remove('dangling'), { code: 'ENOENT' }, 'then nothing is there')
})

t.test('remove: EISDIR for a directory, which keeps its children; ENOENT for nothing', async t => {
  const { names } = setup()
  await names.mkdir('d')
  await names.create('d/t')
  await t.rejects(names.remove('d'), { code: 'EISDIR' })
  t.same(await names.list('d'), [{ name: 't', kind: 'topic' }])
  await t.rejects(names.remove('none'), { code: 'ENOENT' })
  await t.rejects(names.remove('d/none'), { code: 'ENOENT' })
})

t.test('mkdir refuses a topic, listed or not, and an existing directory; rmdir the root, a topic, nothing and a directory with children', async t => {
  const { names, runner, keys } = setup()
  await names.create('t')
  await runner.run('create', [keys.topic('hidden').stream, keys.topic('hidden').meta], ['u', '', '', ''])
  await names.mkdir('d', { owner: 1, group: 2, mode: 0o750 })
  await t.rejects(names.mkdir('t'), { code: 'EEXIST' })
  await t.rejects(names.mkdir('hidden'), { code: 'EEXIST' }, 'an unlisted topic is there all the same')
  await t.rejects(names.mkdir('d'), { code: 'EEXIST' })
  await t.rejects(names.mkdir('none/d'), { code: 'ENOENT' })
  await names.create('d/child')
  await t.rejects(names.rmdir(''), { code: 'EPERM' })
  await t.rejects(names.rmdir('t'), { code: 'ENOTDIR' })
  await t.rejects(names.rmdir('none'), { code: 'ENOENT' })
  await t.rejects(names.rmdir('d'), { code: 'ENOTEMPTY' })
  await names.remove('d/child')
  t.ok(await fixture.admin.exists(keys.directoryAttributes('d')), 'its attributes are stored')
  await names.rmdir('d')
  t.equal(await fixture.admin.exists(keys.directoryAttributes('d')), 0, 'and gone with it')
  await names.mkdir('d')
  t.same(await fixture.admin.hmget(keys.directoryAttributes('d'), 'owner', 'group', 'mode'), [null, null, null], 'made again: nothing of the old one')
})

t.test('changeOwnership: of the topic when there is one, else of the directory, the root included; ENOENT for nothing', async t => {
  const { names, lookup } = setup()
  await names.create('t', { owner: 1, group: 1, mode: 0o644 })
  await names.mkdir('d')
  await names.changeOwnership('t', { owner: 7 })
  t.match(await lookup.stat('t'), { kind: 'topic', owner: 7, group: 1, mode: 0o644 })
  await names.changeOwnership('d', { mode: 0o1777 })
  t.match(await lookup.stat('d'), { kind: 'directory', mode: 0o1777 })
  await names.changeOwnership('', { group: 50 })
  t.match(await lookup.stat(''), { kind: 'directory', group: 50 })
  await t.rejects(names.changeOwnership('none', { mode: 0o600 }), { code: 'ENOENT' })
  await t.rejects(names.changeOwnership('d/none', { mode: 0o600 }), { code: 'ENOENT' })
})

t.test('every change of a directory is announced: the directory, and each name whose listing changed; on a Cluster nothing is', async t => {
  const standalone = setup()
  const channel = standalone.keys.directoriesChannel()
  t.same(await announced(channel, async () => {
    await standalone.names.mkdir('d')
    await standalone.names.create('d/t')
    await standalone.names.changeOwnership('d', { mode: 0o700 })
    await standalone.names.changeOwnership('d/t', { mode: 0o600 })
    await standalone.names.rename('d/t', 'u')
    await standalone.names.remove('u')
    await standalone.names.rmdir('d')
  }), ['', 'd', 'd', 'd', 'd/t', 'd', 'd', '', '', 'u', '', 'd'],
  'a listing changed: the directory and the name in it (mkdir also its attributes: d again); a chmod of d: d; of a topic: nothing; a rename: both parents')
  const cluster = setup({ cluster: true })
  t.same(await announced(cluster.keys.directoriesChannel(), async () => {
    await cluster.names.mkdir('d')
    await cluster.names.create('d/t')
    await cluster.names.changeOwnership('d', { mode: 0o700 })
    await cluster.names.remove('d/t')
    await cluster.names.rmdir('d')
  }), [], 'no mount holds directories on a Cluster')
})

t.test('what is held of a directory it changes is forgotten at once, without waiting for the announcement', async t => {
  const directories = new DirectoryCache()
  directories.up()
  const { names, lookup } = setup({ directories })
  await names.mkdir('d')
  await names.mkdir('d/e')
  const held = async (path: string): Promise<boolean> => {
    await lookup.stat(path)
    return directories.get(path) !== undefined
  }
  t.ok(await held('') && await held('d') && await held('d/e'))
  await names.create('d/t')
  t.equal(directories.get('d'), undefined, 'create: the parent')
  t.ok(directories.get(''), 'the grandparent stays')
  t.ok(await held('d'))
  await names.changeOwnership('d/e', { mode: 0o700 })
  t.equal(directories.get('d/e'), undefined, 'chmod: the directory itself')
  t.ok(directories.get('d'), 'not its parent')
  t.ok(await held('d/e'))
  await names.rmdir('d/e')
  t.equal(directories.get('d/e'), undefined, 'rmdir: the directory')
  t.equal(directories.get('d'), undefined, 'and its parent')
  t.ok(await held('d') && await held(''))
  await names.rename('d/t', 't')
  t.equal(directories.get('d'), undefined, 'rename: the old parent')
  t.equal(directories.get(''), undefined, 'and the new one')
})

t.test('a rename leaves a forwarding address for a day; locate follows 16 renames in a row, not 17', async t => {
  const { names, keys, lookup } = setup()
  const { uid } = await names.create('p0')
  await names.rename('p0', 'p0')
  t.equal(await lookup.topicUid('p0'), uid, 'a rename onto itself changes nothing')
  for (let i = 1; i <= 17; i++) await names.rename(`p${i - 1}`, `p${i}`)
  t.equal(await fixture.admin.hget(keys.moved('p0'), uid), 'p1')
  const ttl = await fixture.admin.ttl(keys.moved('p0'))
  t.ok(ttl > 24 * 3600 - 60 && ttl <= 24 * 3600, `kept ${ttl} s`)
  t.equal(await names.locate('p17', uid), 'p17', 'where it is')
  t.equal(await names.locate('p1', uid), 'p17', '16 renames on')
  t.equal(await names.locate('p0', uid), undefined, '17 renames on: given up')
  t.equal(await names.locate('p1', 'another-uid'), undefined, 'another topic\'s identity')
  await names.remove('p17')
  t.equal(await names.locate('p1', uid), undefined, 'removed: nowhere')
})

t.test('locate goes on past a name now held by another topic, by the identity it looks for', async t => {
  const { names } = setup()
  const { uid } = await names.create('a')
  await names.rename('a', 'b')
  const other = await names.create('a')
  await names.rename('b', 'c')
  t.equal(await names.locate('a', uid), 'c')
  t.equal(await names.locate('a', other.uid), 'a')
})
