import fc from 'fast-check'
import t from 'tap'
import { TopicCache } from '../../../../src/topics/redis/topic-cache'
import type { TopicStat } from '../../../../src/topics/types'

const topic = (size: number): TopicStat => ({ kind: 'topic', uid: 'u', size, entries: 1, mtimeMs: 0, ctimeMs: 0, gen: '', lastId: '', retention: {}, scheduled: 0 })
const keysOf = (path: string): string[] => [`s:${path}`, `m:${path}`]

t.test('nothing is held until tracking starts, nor after it stopped', async t => {
  const cache = new TopicCache()
  cache.put('a', topic(1), keysOf('a'), cache.mark)
  t.equal(cache.get('a'), undefined, 'not tracking yet')
  cache.start()
  cache.put('a', topic(1), keysOf('a'), cache.mark)
  t.same(cache.get('a'), topic(1))
  cache.stop()
  t.equal(cache.get('a'), undefined, 'dropped when tracking stopped')
  cache.start()
  t.equal(cache.get('a'), undefined, 'and not back with it')
})

t.test('a reply sent before tracking started or stopped is not held', async t => {
  const cache = new TopicCache()
  const before = cache.mark
  cache.start()
  cache.put('a', topic(1), keysOf('a'), before)
  t.equal(cache.get('a'), undefined, 'sent before tracking started: Redis may not track its keys')
  const sent = cache.mark
  cache.stop()
  cache.start()
  cache.put('a', topic(1), keysOf('a'), sent)
  t.equal(cache.get('a'), undefined, 'sent before a restart of tracking')
})

t.test('an invalidation drops what was read from the key; other topics stay', async t => {
  const cache = new TopicCache()
  cache.start()
  cache.put('a', topic(1), keysOf('a'), cache.mark)
  cache.put('b', topic(2), keysOf('b'), cache.mark)
  cache.invalidated(['m:a'])
  t.equal(cache.get('a'), undefined, 'either key of a topic drops it')
  t.same(cache.get('b'), topic(2))
  cache.invalidated(null)
  t.equal(cache.get('b'), undefined, 'null: every key (FLUSHALL)')
})

t.test('a reply that crossed an invalidation of one of its keys is not held; of another key, it is', async t => {
  const cache = new TopicCache()
  cache.start()
  const sent = cache.mark
  cache.invalidated(['s:a'])
  cache.put('a', topic(1), keysOf('a'), sent)
  t.equal(cache.get('a'), undefined, 'its key changed after it was sent')
  const again = cache.mark
  cache.invalidated(['s:other'])
  cache.put('a', topic(1), keysOf('a'), again)
  t.same(cache.get('a'), topic(1), 'another key changing does not matter')
  const late = cache.mark
  cache.forget(keysOf('a'))
  t.equal(cache.get('a'), undefined, 'this mount changing it drops it at once')
  cache.put('a', topic(1), keysOf('a'), late)
  t.equal(cache.get('a'), undefined, 'and a read sent before the change is not held')
})

t.test('this mount\'s append brings a held stat up to date, unless something else changed the topic meanwhile', async t => {
  const cache = new TopicCache()
  cache.start()
  cache.put('a', topic(1), keysOf('a'), cache.mark)
  const change = { size: 5, entries: 2, lastId: '7-0', mtimeMs: 7 }
  cache.appended('a', keysOf('a'), cache.mark, change)
  t.same(cache.get('a'), { ...topic(1), ...change }, 'brought up to date')
  const sent = cache.mark
  cache.invalidated(['m:a'])
  cache.put('a', topic(9), keysOf('a'), cache.mark)
  cache.appended('a', keysOf('a'), sent, change)
  t.equal(cache.get('a'), undefined, 'another change crossed it: dropped, not updated')
  cache.appended('b', keysOf('b'), cache.mark, change)
  t.equal(cache.get('b'), undefined, 'nothing held: nothing made up')
})

t.test('more invalidations since a read than it remembers: the reply is not held', async t => {
  const cache = new TopicCache({ remembered: 4 })
  cache.start()
  const sent = cache.mark
  cache.invalidated(['x1', 'x2', 'x3', 'x4', 'x5'])
  cache.put('a', topic(1), keysOf('a'), sent)
  t.equal(cache.get('a'), undefined)
  const now = cache.mark
  cache.put('a', topic(1), keysOf('a'), now)
  t.same(cache.get('a'), topic(1))
})

t.test('at most maxEntries topics, the most recently stored', async t => {
  const cache = new TopicCache({ maxEntries: 2 })
  cache.start()
  for (const path of ['a', 'b', 'c']) cache.put(path, topic(1), keysOf(path), cache.mark)
  t.equal(cache.size, 2)
  t.equal(cache.get('a'), undefined)
  t.ok(cache.get('c'))
  cache.invalidated(['s:a'])
  t.ok(cache.get('b'), 'an evicted topic\'s key drops nothing else')
})

t.test('model: whatever the order, a held stat is never older than the latest change of its keys', async () => {
  // Each topic has a version, moved on by a change; a read returns the version at its sending.
  // After any sequence, what is held must be the current version.
  type Step = { kind: 'send' | 'change' | 'forget' | 'reply' | 'flush' | 'restart', topic: number }
  const step = fc.record({ kind: fc.constantFrom<Step['kind']>('send', 'change', 'forget', 'reply', 'reply', 'flush', 'restart'), topic: fc.integer({ min: 0, max: 2 }) })
  fc.assert(fc.property(fc.array(step, { maxLength: 60 }), steps => {
    const cache = new TopicCache({ remembered: 8 })
    cache.start()
    const versions = [0, 0, 0]
    const inFlight: Array<{ topic: number, version: number, mark: number }> = []
    for (const { kind, topic: n } of steps) {
      const path = `t${n}`
      if (kind === 'send') inFlight.push({ topic: n, version: versions[n]!, mark: cache.mark })
      if (kind === 'change' || kind === 'forget') {
        versions[n]!++
        if (kind === 'change') cache.invalidated([keysOf(path)[versions[n]! % 2]!])
        else cache.forget(keysOf(path))
      }
      if (kind === 'reply' && inFlight.length > 0) {
        const reply = inFlight.shift()!
        cache.put(`t${reply.topic}`, topic(reply.version), keysOf(`t${reply.topic}`), reply.mark)
      }
      if (kind === 'flush') { versions.forEach((_v, i) => versions[i]!++); cache.invalidated(null) }
      if (kind === 'restart') { cache.stop(); versions.forEach((_v, i) => versions[i]!++); cache.start() }
      for (let i = 0; i < 3; i++) {
        const held = cache.get(`t${i}`)
        if (held && held.size !== versions[i]) return false
      }
    }
    return true
  }))
})

t.test('every held stat dropped is told: one path, or all of them at once', async t => {
  const cache = new TopicCache({ maxEntries: 2 })
  const dropped: Array<string | undefined> = []
  cache.onDropped = path => dropped.push(path)
  cache.start()
  t.same(dropped, [], 'nothing held, nothing told')
  cache.put('a', topic(1), keysOf('a'), cache.mark)
  cache.put('b', topic(1), keysOf('b'), cache.mark)
  cache.invalidated(['s:a'])
  t.same(dropped, ['a'], 'announced')
  cache.invalidated(['s:a'])
  t.same(dropped, ['a'], 'not held any more: not told again')
  cache.put('c', topic(1), keysOf('c'), cache.mark)
  cache.put('d', topic(1), keysOf('d'), cache.mark)
  t.same(dropped, ['a', 'b'], 'the oldest, dropped to make room')
  cache.forget(keysOf('c'))
  t.same(dropped, ['a', 'b', 'c'], 'this mount is changing it')
  const mark = cache.mark
  cache.put('e', topic(1), keysOf('e'), mark)
  cache.appended('e', keysOf('e'), mark, { size: 3, entries: 2, lastId: '1-1', mtimeMs: 1 })
  t.same(dropped, ['a', 'b', 'c', 'e'], 'brought up to date by its own append: told')
  t.equal(cache.get('e')?.size, 3, 'and still held')
  cache.stop()
  t.same(dropped, ['a', 'b', 'c', 'e', undefined], 'tracking stopped: everything')
  cache.start()
  cache.invalidated(null)
  t.same(dropped, ['a', 'b', 'c', 'e', undefined], 'nothing held: nothing to tell')
})
