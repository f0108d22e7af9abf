import t from 'tap'
import { combineMemory, evictionRisk, formatBytes, parseMemoryInfo, ServerMemory } from '../../../src/redis/memory'

// A trimmed INFO memory reply of Redis 7.0, with its CRLF line ends.
const INFO = ['# Memory', 'used_memory:914672', 'used_memory_human:893.23K', 'used_memory_rss:6615040',
  'total_system_memory:25276157952', 'maxmemory:104857600', 'maxmemory_human:100.00M',
  'maxmemory_policy:allkeys-lru', ''].join('\r\n')

t.test('parseMemoryInfo reads used_memory, maxmemory, the machine\'s memory and the policy, not their look-alikes', async t => {
  t.same(parseMemoryInfo(INFO), { usedBytes: 914672, maxmemoryBytes: 104857600, systemBytes: 25276157952, policy: 'allkeys-lru' })
  t.same(parseMemoryInfo('used_memory:10\nmaxmemory:0\n'), { usedBytes: 10, maxmemoryBytes: 0, systemBytes: 0, policy: 'noeviction' },
    'LF line ends; missing fields are 0 and noeviction (older servers)')
  t.throws(() => parseMemoryInfo('# Memory\r\nused_memory_rss:5\r\n'), /no used_memory/, 'not an INFO memory reply')
})

const server = (used: number, max: number, policy = 'noeviction', system = 1000): ServerMemory =>
  ({ usedBytes: used, maxmemoryBytes: max, systemBytes: system, policy })

t.test('combineMemory: one server, and a Cluster\'s masters added up; the machine\'s memory stands in for no maxmemory', async t => {
  t.same(combineMemory([server(10, 100)]), { usedBytes: 10, sizeBytes: 100, limited: true, evicting: [], servers: 1 })
  t.same(combineMemory([server(10, 0)]), { usedBytes: 10, sizeBytes: 1000, limited: false, evicting: [], servers: 1 })
  t.same(combineMemory([server(10, 100), server(20, 200, 'allkeys-lru'), server(30, 0, 'allkeys-lru')]),
    { usedBytes: 60, sizeBytes: 1300, limited: false, evicting: ['allkeys-lru (2 masters)'], servers: 3 })
  t.same(combineMemory([server(1, 5, 'volatile-ttl'), server(1, 5, 'allkeys-random')]).evicting, ['volatile-ttl', 'allkeys-random'])
})

t.test('evictionRisk: none for noeviction; otherwise the problem names the policy and the fix says how', async t => {
  t.equal(evictionRisk(combineMemory([server(1, 5)])), undefined)
  const risk = evictionRisk(combineMemory([server(1, 5, 'allkeys-lru')]))
  t.match(risk, { problem: /maxmemory-policy is allkeys-lru: .*topics can vanish/, fix: /CONFIG SET maxmemory-policy noeviction/ })
})

t.test('formatBytes rounds as df -h does', async t => {
  t.equal(formatBytes(0), '0B')
  t.equal(formatBytes(1023), '1023B')
  t.equal(formatBytes(1536), '1.5K')
  t.equal(formatBytes(100 * 1024 * 1024), '100M')
  t.equal(formatBytes(25276157952), '24G')
  t.equal(formatBytes(2 ** 40), '1.0T')
})
