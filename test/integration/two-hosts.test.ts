import t from 'tap'
import { mount } from '../../scripts/support/mount'
import { createHost, namespacesAllowed, TestHost } from '../helpers/netns'
import { bash } from '../../scripts/support/processes'
import { startRedis, waitFor } from '../../scripts/support/redis-server'

// Two hosts in network namespaces, each with its own daemon, one Redis on the root side.

// Decided before the test is declared, so that a refusal shows as a skip, never as a pass.
// (This process serves no mount, so a synchronous call is safe here.)
const skip = namespacesAllowed() ? false : 'this kernel refuses network namespaces (ip netns add failed)'

t.test('a host cut off fails fast, the other keeps working; healed, both converge', { skip }, async t => {
  const hosts: TestHost[] = []
  t.teardown(async () => { for (const host of hosts) await host.remove() })
  hosts.push(await createHost(1), await createHost(2))
  const [hostA, hostB] = hosts as [TestHost, TestHost]
  const server = await startRedis({ bind: [hostA.gateway, hostB.gateway] })
  t.teardown(() => server.stop())
  const a = await mount(`redis://${hostA.gateway}:${server.port}`, { wrapper: hostA.enter, args: ['--op-timeout', '1000'] })
  t.teardown(() => a.stop())
  const b = await mount(`redis://${hostB.gateway}:${server.port}`, { wrapper: hostB.enter, args: ['--op-timeout', '1000'] })
  t.teardown(() => b.stop())

  t.equal((await bash(`echo a1 >> ${a.dir}/shared && cat ${b.dir}/shared`)).stdout.toString(), 'a1\n', 'B sees what A pushed')
  await hostA.cut()
  const started = Date.now()
  const cutOff = await bash(`echo a2 >> ${a.dir}/shared`)
  t.match(cutOff.stderr, /Input\/output error/, 'A fails')
  t.ok(Date.now() - started < 5000, `A failed within ${Date.now() - started} ms`)
  t.equal((await bash(`echo b1 >> ${b.dir}/shared && cat ${b.dir}/shared`)).stdout.toString().split('\n').includes('b1'), true, 'B keeps working')
  await hostA.heal()
  const healed = Date.now()
  await waitFor(async () => (await bash(`cat ${a.dir}/shared`)).stdout.toString().includes('b1\n'), 8000, 'A to work again')
  t.ok(Date.now() - healed < 5000, `A works again ${Date.now() - healed} ms after the link came back`)
  await bash(`echo a3 >> ${a.dir}/shared`)
  const fromA = (await bash(`cat ${a.dir}/shared`)).stdout.toString()
  const fromB = (await bash(`cat ${b.dir}/shared`)).stdout.toString()
  t.equal(fromA, fromB, 'both hosts read the same topic')
  for (const line of ['a1', 'b1', 'a3']) t.ok(fromA.split('\n').includes(line), `${line}: acknowledged, present`)
  t.ok(fromA.split('\n').filter(line => line === 'a2').length <= 1, 'the failed write is there at most once')
})
