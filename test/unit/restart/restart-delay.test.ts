import t from 'tap'
import { RestartDelay } from '../../../src/restart/restart-delay'

t.test('a server that served a while is replaced at once, every time', async t => {
  const delay = new RestartDelay()
  for (let i = 0; i < 5; i++) t.equal(delay.after(1500, true), 0)
})

t.test('servers that die young are replaced ever later, up to 5 s; one that serves a while resets the pause', async t => {
  const delay = new RestartDelay()
  t.same([delay.after(10, false), delay.after(3000, false), delay.after(200, true), delay.after(0, false)], [100, 200, 400, 800])
  for (let i = 0; i < 10; i++) delay.after(0, false)
  t.equal(delay.after(0, false), 5000)
  t.equal(delay.after(60_000, true), 0)
  t.equal(delay.after(0, false), 100)
})
