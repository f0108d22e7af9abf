import t from 'tap'
import { SerialQueue } from '../../../src/util/serial-queue'

t.test('work runs one piece after another, in the order given; a failure fails its own caller only', async t => {
  const queue = new SerialQueue()
  const order: string[] = []
  const slow = queue.run(async () => { await new Promise(resolve => setTimeout(resolve, 20)); order.push('slow') })
  const failing = queue.run(async () => { order.push('failing'); throw new Error('boom') })
  const fast = queue.run(async () => { order.push('fast'); return 42 })
  await slow
  await t.rejects(failing, /boom/)
  t.equal(await fast, 42)
  t.same(order, ['slow', 'failing', 'fast'])
})
