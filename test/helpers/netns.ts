import { spawnSync } from 'node:child_process'
import { run } from '../../scripts/support/processes'

/**
 * A test "host": a network namespace joined to the root namespace by a veth pair, on its own
 * /30 (10.231.N.0/30: .1 on the root side, .2 inside). Its processes are started with
 * `nsenter --net=/run/netns/NAME` (not `ip netns exec`, which would also give them a private
 * mount namespace, hiding their FUSE mounts).
 */
export interface TestHost {
  name: string
  /** The root side's address, where a server in the root namespace is reached from the host. */
  gateway: string
  /** Prefix that runs a command inside the host's network. */
  enter: string[]
  cut (): Promise<void>
  heal (): Promise<void>
  remove (): Promise<void>
}

async function ip (...args: string[]): Promise<void> {
  const result = await run('ip', args)
  if (result.code !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr.trim()}`)
}

/** Whether this kernel lets us make network namespaces (containers may refuse). */
export function namespacesAllowed (): boolean {
  const name = `dnp-probe-${process.pid}`
  const added = spawnSync('ip', ['netns', 'add', name])
  if (added.status !== 0) return false
  spawnSync('ip', ['netns', 'del', name])
  return true
}

export async function createHost (index: number): Promise<TestHost> {
  const name = `dnp-${process.pid}-${index}`
  const outside = `dnp${process.pid % 10000}h${index}o`
  const inside = `dnp${process.pid % 10000}h${index}i`
  const gateway = `10.231.${index}.1`
  await ip('netns', 'add', name)
  try {
    await ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside)
    await ip('link', 'set', inside, 'netns', name)
    await ip('addr', 'add', `${gateway}/30`, 'dev', outside)
    await ip('link', 'set', outside, 'up')
    await ip('-n', name, 'addr', 'add', `10.231.${index}.2/30`, 'dev', inside)
    await ip('-n', name, 'link', 'set', inside, 'up')
    await ip('-n', name, 'link', 'set', 'lo', 'up')
  } catch (err) {
    await run('ip', ['netns', 'del', name])
    await run('ip', ['link', 'del', outside])
    throw err
  }
  return {
    name,
    gateway,
    enter: ['nsenter', `--net=/run/netns/${name}`],
    cut: () => ip('link', 'set', outside, 'down'),
    heal: () => ip('link', 'set', outside, 'up'),
    async remove () {
      await run('ip', ['netns', 'del', name])
      await run('ip', ['link', 'del', outside])
    }
  }
}
