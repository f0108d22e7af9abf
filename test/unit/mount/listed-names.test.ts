import t from 'tap'
import { ListedNames } from '../../../src/mount/listed-names'

const entries = [{ name: 'a', kind: 'topic' as const }, { name: 'd', kind: 'directory' as const }]

t.test('a listed name answers one lookup with its kind; unlisted names answer nothing', async t => {
  const listed = new ListedNames()
  listed.remember('team', entries, 1000)
  t.equal(listed.take('team/a', 1001), 'topic')
  t.equal(listed.take('team/a', 1002), undefined, 'once: the next lookup asks Redis')
  t.equal(listed.take('team/d', 1003), 'directory')
  t.equal(listed.take('team/none', 1004), undefined)
  t.equal(listed.take('other/a', 1005), undefined, 'another directory was not listed')
  listed.remember('', entries, 2000)
  t.equal(listed.take('a', 2001), 'topic', 'the root')
  t.equal(listed.take('d/a', 2002), undefined, 'a listing is of its own directory only')
})

t.test('a listing answers only within maxAgeMs; a newer readdir replaces it', async t => {
  const listed = new ListedNames({ maxAgeMs: 100 })
  listed.remember('x', entries, 1000)
  t.equal(listed.take('x/a', 1100), 'topic')
  t.equal(listed.take('x/d', 1101), undefined, 'too old')
  listed.remember('x', [{ name: 'd', kind: 'topic' }], 2000)
  t.equal(listed.take('x/d', 2000), 'topic', 'the newer listing\'s kind')
  t.equal(listed.take('x/a', 2000), undefined, 'and only its names')
})

t.test('forget drops a name this mount changed; clear drops everything', async t => {
  const listed = new ListedNames()
  listed.remember('x', entries, 0)
  listed.forget('x/a')
  t.equal(listed.take('x/a', 1), undefined)
  t.equal(listed.take('x/d', 1), 'directory')
  listed.remember('x', entries, 0)
  listed.clear()
  t.equal(listed.take('x/a', 1), undefined)
})

t.test('only the most recent maxDirectories listings are kept', async t => {
  const listed = new ListedNames({ maxDirectories: 2 })
  listed.remember('one', entries, 0)
  listed.remember('two', entries, 0)
  listed.remember('three', entries, 0)
  t.equal(listed.take('one/a', 1), undefined, 'the oldest went')
  t.equal(listed.take('two/a', 1), 'topic')
  t.equal(listed.take('three/a', 1), 'topic')
  listed.remember('two', entries, 0)
  listed.remember('four', entries, 0)
  t.equal(listed.take('three/d', 1), undefined, 'listing a directory again makes it the newest')
  t.equal(listed.take('two/d', 1), 'directory')
})
