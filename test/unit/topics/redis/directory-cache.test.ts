import t from 'tap'
import { DirectoryCache } from '../../../../src/topics/redis/directory-cache'

const dir = (mode: number) => ({ kind: 'directory' as const, mode })

t.test('nothing is held until the subscription is up, nor after it went down', async t => {
  const cache = new DirectoryCache()
  cache.put('d', dir(0o755), cache.epoch)
  t.equal(cache.get('d'), undefined, 'not subscribed yet')
  cache.up()
  cache.put('d', dir(0o755), cache.epoch)
  t.same(cache.get('d'), dir(0o755))
  cache.down()
  t.equal(cache.get('d'), undefined, 'dropped with the subscription')
  cache.up()
  t.equal(cache.get('d'), undefined, 'and not back with it')
})

t.test('a change heard of drops the path; a reply sent before any change heard of since is not held', async t => {
  const cache = new DirectoryCache()
  cache.up()
  cache.put('a', dir(0o755), cache.epoch)
  cache.put('b', dir(0o700), cache.epoch)
  cache.changed('a')
  t.equal(cache.get('a'), undefined)
  t.same(cache.get('b'), dir(0o700), 'other paths stay')
  const sent = cache.epoch
  cache.changed('elsewhere')
  cache.put('a', dir(0o755), sent)
  t.equal(cache.get('a'), undefined, 'the reply may predate the change: not held')
  cache.put('a', dir(0o750), cache.epoch)
  t.same(cache.get('a'), dir(0o750))
  const before = cache.epoch
  cache.down()
  cache.up()
  cache.put('c', dir(0o755), before)
  t.equal(cache.get('c'), undefined, 'nor across a break of the subscription')
})

t.test('at most maxEntries are held, the oldest stored going first', async t => {
  const cache = new DirectoryCache({ maxEntries: 2 })
  cache.up()
  for (const path of ['a', 'b', 'c']) cache.put(path, dir(0o755), cache.epoch)
  t.equal(cache.get('a'), undefined)
  t.ok(cache.get('b') && cache.get('c'))
})

t.test('every held directory dropped is told: one path, or all of them at once', async t => {
  const cache = new DirectoryCache({ maxEntries: 2 })
  const dropped: Array<string | undefined> = []
  cache.onDropped = path => dropped.push(path)
  cache.up()
  cache.put('a', dir(0o755), cache.epoch)
  cache.put('b', dir(0o755), cache.epoch)
  cache.changed('a')
  cache.changed('x')
  t.same(dropped, ['a'], 'a change of a held directory; none of one not held')
  cache.put('c', dir(0o755), cache.epoch)
  cache.put('d', dir(0o755), cache.epoch)
  t.same(dropped, ['a', 'b'], 'the oldest, dropped to make room')
  cache.down()
  t.same(dropped, ['a', 'b', undefined], 'the subscription broke: everything')
  cache.down()
  t.same(dropped, ['a', 'b', undefined], 'nothing held: nothing to tell')
})
