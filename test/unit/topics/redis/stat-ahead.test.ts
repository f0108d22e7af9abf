import t from 'tap'
import { StatAhead } from '../../../../src/topics/redis/stat-ahead'

t.test('a listing starts a read ahead, not again within the quiet time', async t => {
  const ahead = new StatAhead({ quietMs: 1000 })
  t.ok(ahead.listed('d', 0))
  t.notOk(ahead.listed('d', 999), 'within the quiet time')
  t.ok(ahead.listed('e', 999), 'another directory')
  t.ok(ahead.listed('d', 1000), 'after it')
})

t.test('misses start a read ahead once enough come within the window', async t => {
  const ahead = new StatAhead({ misses: 3, windowMs: 100, quietMs: 1000 })
  t.notOk(ahead.missed('d', 0))
  t.notOk(ahead.missed('d', 50))
  t.notOk(ahead.missed('d', 151), 'the window ran out: counting starts again')
  t.notOk(ahead.missed('d', 160))
  t.ok(ahead.missed('d', 170), 'the third within 100 ms')
  t.notOk(ahead.missed('d', 180), 'counting again from nothing')
  t.notOk(ahead.missed('d', 190))
  t.notOk(ahead.missed('d', 200), 'enough again, but within the quiet time')
  t.notOk(ahead.listed('d', 300), 'a listing too')
})

t.test('a single stat of a name is never a scan', async t => {
  const ahead = new StatAhead()
  for (let now = 0; now < 10_000; now += 100) t.notOk(ahead.missed('d', now))
})

t.test('the directories counted are bounded', async t => {
  const ahead = new StatAhead({ misses: 2, maxDirectories: 4 })
  for (let i = 0; i < 10; i++) ahead.missed(`d${i}`, 0)
  t.ok(ahead.missed('d9', 1), 'the newest still counted')
})
