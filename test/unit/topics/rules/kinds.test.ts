import t from 'tap'
import { exists, KindLookups, ListedKind, noTopic, nothingAt, requireDirectory, requireRemovableDirectory } from '../../../../src/topics/rules/kinds'

// What a path names decides the answer of a namespace operation, the same on every engine.

/** Lookups over a fixed listing, counting what they were asked. */
function lookups (listed: Record<string, ListedKind>, unlistedTopics: string[] = []): KindLookups & { asked: string[] } {
  const asked: string[] = []
  return {
    asked,
    listedKind: async path => { asked.push(`listed ${path}`); return listed[path] },
    hasTopic: async path => { asked.push(`topic ${path}`); return listed[path] === 'topic' || unlistedTopics.includes(path) }
  }
}

t.test('requireDirectory: the root and listed directories pass; topics are ENOTDIR; nothing is ENOENT', async t => {
  const names = lookups({ d: 'directory', f: 'topic' }, ['new'])
  await requireDirectory(names, '')
  t.same(names.asked, [], 'the root is a directory without asking')
  await requireDirectory(names, 'd')
  await t.rejects(requireDirectory(names, 'f'), { code: 'ENOTDIR' })
  await t.rejects(requireDirectory(names, 'new'), { code: 'ENOTDIR' }, 'a topic not listed yet is still a topic')
  await t.rejects(requireDirectory(names, 'gone'), { code: 'ENOENT', message: 'no directory gone' })
})

t.test('requireRemovableDirectory: EPERM for the root, then ENOENT, ENOTDIR, ENOTEMPTY, in that order', async t => {
  const names = lookups({ d: 'directory', f: 'topic' })
  let children = 0
  const count = async (): Promise<number> => children
  await t.rejects(requireRemovableDirectory(names, '', count), { code: 'EPERM' })
  await t.rejects(requireRemovableDirectory(names, 'gone', count), { code: 'ENOENT' })
  await t.rejects(requireRemovableDirectory(names, 'f', count), { code: 'ENOTDIR' })
  await requireRemovableDirectory(names, 'd', count)
  children = 2
  await t.rejects(requireRemovableDirectory(names, 'd', count), { code: 'ENOTEMPTY', message: 'd is not empty' })
  let counted = false
  await t.rejects(requireRemovableDirectory(names, 'f', async () => { counted = true; return 0 }), { code: 'ENOTDIR' })
  t.notOk(counted, 'children are counted only for a directory')
})

t.test('the answers for something there, no topic, and nothing at all', async t => {
  t.match(exists('a/b'), { code: 'EEXIST', message: 'a/b exists' })
  t.match(exists('a/b', 'directory'), { code: 'EEXIST', message: 'a/b is a directory' })
  t.match(noTopic('x', 'directory'), { code: 'EISDIR' })
  t.match(noTopic('x', undefined), { code: 'ENOENT', message: 'no topic x' })
  t.match(noTopic('x', 'topic'), { code: 'ENOENT' })
  t.match(nothingAt('x'), { code: 'ENOENT', message: 'no topic or directory x' })
})
