import fc from 'fast-check'
import t from 'tap'
import { TopicError } from '../../../src/topics/errors'
import { fromFusePath, NAME_MAX, RESERVED_ROOT_NAMES, splitPath, validateNewPath } from '../../../src/topics/paths'

// test/unit/topics/redis/keys.test.ts has the first cases; these are the rest of paths.ts.

const component = fc.stringMatching(/^[a-zA-Z0-9._ é-]{1,12}$/)

t.test('splitPath splits at the last slash; joined again it is the path', async t => {
  fc.assert(fc.property(fc.array(component, { minLength: 1, maxLength: 5 }), components => {
    const path = components.join('/')
    const { parent, name } = splitPath(path)
    return name === components[components.length - 1] && parent === components.slice(0, -1).join('/') &&
      (parent === '' ? name : `${parent}/${name}`) === path
  }), { numRuns: 300 })
  t.same(splitPath(''), { parent: '', name: '' })
  t.same(splitPath('a/'), { parent: 'a', name: '' })
})

t.test('fromFusePath drops the leading and trailing slashes only', async t => {
  t.equal(fromFusePath('//a/b//'), 'a/b')
  t.equal(fromFusePath('///'), '')
  t.equal(fromFusePath('a/b'), 'a/b')
  t.equal(fromFusePath('/a//b'), 'a//b', 'inner slashes stay, for validateNewPath to refuse')
  t.equal(fromFusePath('/.follow/team/x'), '.follow/team/x')
})

t.test('validateNewPath refuses what a topic or directory cannot be called, with a TopicError code', async t => {
  const refused: Array<[string, string]> = [
    ['', 'EEXIST'], ['a//b', 'EINVAL'], ['/a', 'EINVAL'], ['a/', 'EINVAL'], ['.', 'EINVAL'], ['..', 'EINVAL'],
    ['a/./b', 'EINVAL'], ['a/..', 'EINVAL'], ['.follow', 'EPERM'], ['.live', 'EPERM'],
    ['é'.repeat(128), 'ENAMETOOLONG'], [`ok/${'x'.repeat(NAME_MAX + 1)}`, 'ENAMETOOLONG']
  ]
  for (const [path, code] of refused) {
    t.throws(() => validateNewPath(path), { constructor: TopicError, code }, `${JSON.stringify(path.slice(0, 20))}: ${code}`)
  }
  for (const path of ['a', '...', '.hidden', 'a b', 'team/.live', 'team/.follow/x', '.followers', 'é'.repeat(127) + 'x', 'x'.repeat(NAME_MAX)]) {
    t.doesNotThrow(() => validateNewPath(path), JSON.stringify(path.slice(0, 20)))
  }
  t.same([...RESERVED_ROOT_NAMES].sort(), ['.delay', '.follow', '.group', '.live'])
})

t.test('the length limit is in bytes, not characters', async () => {
  fc.assert(fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }).filter(s => !s.includes('/') && s !== '.' && s !== '..' && !RESERVED_ROOT_NAMES.has(s)), name => {
    let code: string | undefined
    try { validateNewPath(name) } catch (err) { code = (err as TopicError).code }
    return code === (Buffer.byteLength(name) > NAME_MAX ? 'ENAMETOOLONG' : undefined)
  }), { numRuns: 300 })
})
