import { hostname } from 'node:os'
import t from 'tap'
import { consumerName, isOurConsumer } from '../../../src/topics/consumer-names'

t.test('a process names its consumer by its role, host and pid', async t => {
  t.equal(consumerName('mount'), `mount@${hostname()}:${process.pid}`)
  t.equal(consumerName('work'), `work@${hostname()}:${process.pid}`)
})

t.test('only names of that form are ours: a sweep never touches another client\'s consumer', async t => {
  for (const name of [consumerName('mount'), consumerName('work'), 'mount@x:1', 'work@host.example.com:123', 'mount@[::1]:99']) {
    t.ok(isOurConsumer(name), name)
  }
  for (const name of ['service-1', 'mount', 'mount@x', 'work@queue', 'mount@x:1a', 'Mount@x:1', 'xmount@x:1', 'reporting-work@x:1', '']) {
    t.notOk(isOurConsumer(name), JSON.stringify(name))
  }
})
