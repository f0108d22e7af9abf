import t from 'tap'
import { RedisReplyError } from '../../../src/redis/errors'
import type { RedisMemory } from '../../../src/redis/memory'
import { RedisSpace, statfsOf, UNKNOWN_SPACE } from '../../../src/mount/space'

const memory = (used: number, size: number): RedisMemory => ({ usedBytes: used, sizeBytes: size, limited: true, evicting: [], servers: 1 })

t.test('statfsOf: the size in 4 KiB blocks, used rounded up to whole blocks, never below zero free', async t => {
  t.match(statfsOf(memory(5000, 100 * 4096)), { bsize: 4096, frsize: 4096, blocks: 100, bfree: 98, bavail: 98, namemax: 255 })
  t.match(statfsOf(memory(900 * 4096, 100 * 4096)), { blocks: 100, bfree: 0, bavail: 0 }, 'more used than maxmemory (Redis allows a little over)')
  t.match(UNKNOWN_SPACE, { blocks: 2 ** 28, bfree: 2 ** 28 })
})

t.test('RedisSpace reads at most once a second, whoever asks', async t => {
  let now = 0
  let reads = 0
  const space = new RedisSpace(async () => memory(++reads * 4096, 10 * 4096), () => now)
  const [first, second] = await Promise.all([space.statfs(), space.memory()])
  t.equal(reads, 1, 'two at once share one read')
  t.equal(first.bfree, 9)
  t.equal(second?.usedBytes, 4096)
  now = 999
  t.equal((await space.statfs()).bfree, 9, 'within the second: the same reading')
  now = 1000
  t.equal((await space.statfs()).bfree, 8, 'a second later: read again')
  t.equal(reads, 2)
})

t.test('RedisSpace: a failure is the caller\'s and is not kept; a user without INFO gets the fixed size, and no more reads', async t => {
  let fail: Error | undefined = new Error('Connection is closed.')
  let reads = 0
  const space = new RedisSpace(async () => { reads++; if (fail) throw fail; return memory(0, 4096) }, () => 0)
  await t.rejects(space.statfs(), { name: 'RedisUnavailableError' }, 'typed, so that the mount answers EIO')
  fail = undefined
  t.equal((await space.statfs()).blocks, 1, 'asked again at once, though within the second')
  const forbidden = new RedisSpace(async () => { reads++; throw new RedisReplyError('NOPERM', 'NOPERM this user has no permissions to run the \'info\' command') }, () => 0)
  const before = reads
  t.same(await forbidden.statfs(), UNKNOWN_SPACE)
  t.equal(await forbidden.memory(), undefined)
  t.equal(reads, before + 1, 'asked once')
})
