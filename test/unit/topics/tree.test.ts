import t from 'tap'
import { MemoryEngine } from '../../../src/topics/memory/memory-engine'
import { TopicError } from '../../../src/topics/errors'
import { ancestry, ensureTopic, makeDirectories, moveTree, removeTree } from '../../../src/topics/tree'
import type { TopicEngine } from '../../../src/topics/engine'
import { lines } from '../../helpers/topic-io'

// mkdir -p, rm -r and mv composed of the engine's single-name operations (src/topics/tree.ts),
// on the memory engine, which answers as the Redis engine does.

async function tree (engine: TopicEngine, dir = ''): Promise<string[]> {
  const out: string[] = []
  for (const entry of await engine.list(dir)) {
    const path = dir === '' ? entry.name : `${dir}/${entry.name}`
    out.push(entry.kind === 'directory' ? path + '/' : path)
    if (entry.kind === 'directory') out.push(...await tree(engine, path))
  }
  return out
}

async function topicWith (engine: TopicEngine, path: string, ...messages: string[]): Promise<string> {
  const { uid } = await ensureTopic(engine, path)
  if (messages.length > 0) await engine.append(path, uid, lines(...messages))
  return uid
}


t.test('ancestry lists every directory on the way, outermost first', async t => {
  t.same(ancestry('a/b/c'), ['a', 'a/b', 'a/b/c'])
  t.same(ancestry(''), [])
})

t.test('makeDirectories is mkdir -p: existing directories are fine, a topic on the way is ENOTDIR', async t => {
  const engine = new MemoryEngine()
  await makeDirectories(engine, 'a/b/c')
  await makeDirectories(engine, 'a/b')
  t.same(await tree(engine), ['a/', 'a/b/', 'a/b/c/'])
  await topicWith(engine, 'a/t')
  await t.rejects(makeDirectories(engine, 'a/t/x'), { code: 'ENOTDIR' })
})

t.test('ensureTopic makes missing directories, returns an existing topic, refuses a directory', async t => {
  const engine = new MemoryEngine()
  const uid = await topicWith(engine, 'team/a/orders', 'one')
  t.equal((await ensureTopic(engine, 'team/a/orders')).uid, uid, 'the same topic, not a new one')
  t.equal((await engine.statTopic('team/a/orders'))?.entries, 1)
  await t.rejects(ensureTopic(engine, 'team/a'), { code: 'EISDIR' })
})

t.test('removeTree removes everything under a directory, deepest first, and refuses the root', async t => {
  const engine = new MemoryEngine()
  await topicWith(engine, 'a/b/t1', 'x')
  await topicWith(engine, 'a/t2')
  await topicWith(engine, 'keep')
  await removeTree(engine, 'a')
  t.same(await tree(engine), ['keep'])
  await t.rejects(removeTree(engine, ''), { code: 'EPERM' })
  await t.rejects(removeTree(engine, 'nope'), { code: 'ENOENT' })
})

t.test('moveTree renames a topic, moves into an existing directory, and moves whole directories', async t => {
  const engine = new MemoryEngine()
  const uid = await topicWith(engine, 'jobs', 'one', 'two')
  t.equal(await moveTree(engine, 'jobs', 'jobs.old'), 'jobs.old')
  t.equal((await engine.statTopic('jobs.old'))?.uid, uid, 'the same topic under its new name')
  await makeDirectories(engine, 'archive')
  t.equal(await moveTree(engine, 'jobs.old', 'archive'), 'archive/jobs.old', 'into the directory, as mv(1)')
  await topicWith(engine, 'team/a/orders', 'o')
  await topicWith(engine, 'team/b')
  t.equal(await moveTree(engine, 'team', 'archive/team2'), 'archive/team2')
  t.same(await tree(engine), ['archive/', 'archive/jobs.old', 'archive/team2/', 'archive/team2/a/', 'archive/team2/a/orders', 'archive/team2/b'])
  t.equal((await engine.statTopic('archive/team2/a/orders'))?.entries, 1, 'messages move with their topic')
  await t.rejects(moveTree(engine, 'archive', 'archive/team2/x'), { code: 'EINVAL' })
  await t.rejects(moveTree(engine, 'missing', 'x'), { code: 'ENOENT' })
  await topicWith(engine, 'full/inner/t')
  await makeDirectories(engine, 'src/inner')
  await t.rejects(moveTree(engine, 'src/inner', 'full'), { code: 'ENOTEMPTY' }, 'onto a non-empty directory: ENOTEMPTY')
  await makeDirectories(engine, 'empty/inner')
  t.equal(await moveTree(engine, 'src/inner', 'empty'), 'empty/inner', 'onto an empty one: replaces it')
  t.same(await tree(engine, 'src'), [])
})

t.test('the creators given own what mkdir -p and ensureTopic make; a moved directory keeps its owner and mode', async t => {
  const engine = new MemoryEngine()
  const creators = { topic: { owner: 5, group: 6, mode: 0o640 }, directory: { owner: 5, group: 6, mode: 0o750 } }
  await ensureTopic(engine, 'a/b/t', creators)
  t.match(await engine.stat('a'), { kind: 'directory', owner: 5, group: 6, mode: 0o750 })
  t.match(await engine.stat('a/b'), { kind: 'directory', owner: 5, group: 6, mode: 0o750 })
  t.match(await engine.stat('a/b/t'), { kind: 'topic', owner: 5, group: 6, mode: 0o640 })
  await engine.changeOwnership('a/b', { mode: 0o1700 })
  await moveTree(engine, 'a', 'z')
  t.match(await engine.stat('z'), { owner: 5, group: 6, mode: 0o750 })
  t.match(await engine.stat('z/b'), { owner: 5, group: 6, mode: 0o1700 })
  t.match(await engine.stat('z/b/t'), { owner: 5, mode: 0o640 })
})

t.test('where topics cannot be renamed, a directory move is refused before anything changed', async t => {
  const engine = new MemoryEngine()
  await topicWith(engine, 'src/a', 'x')
  await topicWith(engine, 'src/b')
  const refusing: TopicEngine = Object.create(engine)
  refusing.rename = async () => { throw new TopicError('EXDEV', 'topics on a Redis Cluster are moved by copying') }
  await t.rejects(moveTree(refusing, 'src', 'dst'), { code: 'EXDEV', message: /copy it instead/ })
  t.same(await tree(engine), ['src/', 'src/a', 'src/b'], 'no half-made target')
})
