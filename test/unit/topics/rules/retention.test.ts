import t from 'tap'
import { changedLimits, effectiveLimits, entriesToTrim, parseLimit, retentionArgs, retentionChangeArgs, retentionOf } from '../../../../src/topics/rules/retention'

t.test('parseLimit: positive whole numbers; units of 1024 for bytes only', async t => {
  t.equal(parseLimit('messages', '100000'), 100000)
  t.equal(parseLimit('seconds', ' 60 '), 60)
  t.equal(parseLimit('bytes', '512'), 512)
  t.equal(parseLimit('bytes', '1K'), 1024)
  t.equal(parseLimit('bytes', '10M'), 10 * 1024 ** 2)
  t.equal(parseLimit('bytes', '2GiB'), 2 * 1024 ** 3)
  t.equal(parseLimit('bytes', '1tb'), 1024 ** 4)
  for (const bad of ['0', '-5', '1.5', 'ten', '', '5X', '1e3']) {
    t.throws(() => parseLimit('messages', bad), RangeError, `messages "${bad}"`)
    t.throws(() => parseLimit('bytes', bad), RangeError, `bytes "${bad}"`)
  }
  t.throws(() => parseLimit('seconds', '5M'), /positive whole number, not "5M"/)
  t.throws(() => parseLimit('bytes', '99999999999T'), RangeError, 'beyond a safe integer')
})

t.test('a topic with limits of its own is not mixed with the defaults', async t => {
  t.same(effectiveLimits({}, { messages: 5 }), { messages: 5 })
  t.same(effectiveLimits({ seconds: 60 }, { messages: 5 }), { seconds: 60 })
})

t.test('stored fields, script arguments and changes', async t => {
  t.same(retentionOf('10', null, ''), { messages: 10 })
  t.same(retentionOf(undefined, '2048', '3600'), { bytes: 2048, seconds: 3600 })
  t.same(retentionArgs({ bytes: 7 }), ['', '7', ''])
  t.same(retentionChangeArgs({ messages: 3, seconds: null }), ['3', '', '-'])
  t.same(changedLimits({ messages: 1, bytes: 2 }, { messages: null, seconds: 9 }), { bytes: 2, seconds: 9 })
})

t.test('entriesToTrim: whole entries oldest first, the strictest limit wins, the newest stays for bytes', async t => {
  const entries = [{ timeMs: 1000, size: 10 }, { timeMs: 2000, size: 10 }, { timeMs: 3000, size: 10 }, { timeMs: 4000, size: 30 }]
  const total = { count: 4, bytes: 60 }
  t.same(entriesToTrim(entries, total, {}, 5000), { count: 0, bytes: 0 })
  t.same(entriesToTrim(entries, total, { messages: 3 }, 5000), { count: 1, bytes: 10 })
  t.same(entriesToTrim(entries, total, { bytes: 45 }, 5000), { count: 2, bytes: 20 })
  t.same(entriesToTrim(entries, total, { bytes: 5 }, 5000), { count: 3, bytes: 30 }, 'the newest is kept though larger')
  t.same(entriesToTrim(entries, total, { seconds: 2.5 }, 5000), { count: 2, bytes: 20 }, 'older than 2.5 s')
  t.same(entriesToTrim(entries, total, { seconds: 0.5 }, 5000), { count: 4, bytes: 60 }, 'an age limit may empty the topic')
  t.same(entriesToTrim(entries, total, { messages: 3, bytes: 35 }, 5000), { count: 3, bytes: 30 }, 'the stricter of two')
})
