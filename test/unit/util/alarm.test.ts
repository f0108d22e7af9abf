import t from 'tap'
import { Alarm } from '../../../src/util/alarm'
import { sleep } from '../../../src/util/deadline'

t.test('rings once, at the earliest time set; later times change nothing', async t => {
  const rings: number[] = []
  const start = Date.now()
  const alarm = new Alarm(() => rings.push(Date.now() - start))
  alarm.ringBy(start + 5000)
  alarm.ringBy(start + 100)
  alarm.ringBy(start + 3000)
  await sleep(400)
  t.equal(rings.length, 1, 'rang once')
  t.ok(rings[0]! >= 99, `not before its time (${rings[0]} ms)`)
  alarm.clear()
})

t.test('a time past rings at once; clear silences it', async t => {
  let rang = 0
  const alarm = new Alarm(() => rang++)
  alarm.ringBy(Date.now() - 1000)
  await sleep(20)
  t.equal(rang, 1)
  const silenced = new Alarm(() => rang++)
  silenced.ringBy(Date.now() + 50)
  silenced.clear()
  await sleep(150)
  t.equal(rang, 1, 'a cleared alarm does not ring')
})
