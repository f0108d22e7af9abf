import type { TopicKeys } from './keys'
import { TopicError } from '../errors'
import type { ScriptRunner } from './script-runner'
import { scheduleOf } from './schedule-replies'
import type { Claim, ClaimedAhead, GroupInfo, GroupPolicy } from '../types'

/**
 * Consumer groups on Redis: the topic's stream's own consumer groups (XREADGROUP, XACK,
 * XAUTOCLAIM), so that any Redis client can join one. The scripts claim.lua, hold.lua, leave.lua
 * and sweep.lua do what must be atomic; everything else is a plain command.
 */
export class GroupStore {
  constructor (private readonly runner: ScriptRunner, private readonly indexEvery: number) {}

  async claim (keys: TopicKeys, group: string, consumer: string, policy: GroupPolicy, done: readonly string[] = [], ahead = 0): Promise<Claim | undefined> {
    const args = [group, consumer, policy.visibilityMs, policy.maxDeliveries, done.join(' '), this.indexEvery, ahead]
    const reply = await this.runner.run('claim', [keys.stream, keys.meta, keys.index, keys.delayed, keys.due], args, 'buffer') as Buffer[] | null
    if (!reply) return undefined
    const [uid, kind, ...rest] = reply
    const text = (value: Buffer | undefined): string => value?.toString() ?? ''
    switch (text(kind)) {
      case 'message': {
        const claimed: ClaimedAhead[] = []
        for (let i = 3; i + 1 < rest.length; i += 2) claimed.push({ id: text(rest[i]), data: rest[i + 1]! })
        return { kind: 'message', uid: text(uid), id: text(rest[0]), deliveries: Number(text(rest[1])), data: rest[2]!, ...(claimed.length > 0 ? { ahead: claimed } : {}) }
      }
      case 'dead':
        return { kind: 'dead', uid: text(uid), id: text(rest[0]), deliveries: Number(text(rest[1])), message: { payload: rest[2]!, verbatim: text(rest[3]) === '1' } }
      case 'none': {
        const retry = text(rest[1])
        return { kind: 'none', uid: text(uid), lastId: text(rest[0]), ...(retry === '' ? {} : { retryInMs: Number(retry) }), schedule: scheduleOf(rest[2], rest[3]) }
      }
      default:
        throw new TopicError('EIO', `unexpected claim reply ${text(kind)}`)
    }
  }

  async acknowledge (keys: TopicKeys, group: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return
    await this.runner.command(redis => redis.xack(keys.stream, group, ...ids))
  }

  /** Gives back messages `consumer` claimed ahead and never handed out (give-back.lua); how many were. */
  async giveBack (keys: TopicKeys, group: string, consumer: string, policy: GroupPolicy, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0
    return Number(await this.runner.run('give-back', [keys.stream], [group, consumer, policy.visibilityMs, ...ids]))
  }

  async hold (keys: TopicKeys, group: string, consumer: string, id: string, deliveries: number, idleMs = 0): Promise<boolean> {
    return await this.runner.run('hold', [keys.stream], [group, consumer, id, deliveries, idleMs]) === 1
  }

  async leave (keys: TopicKeys, group: string, consumer: string): Promise<void> {
    await this.runner.run('leave', [keys.stream], [group, consumer])
  }

  async sweep (keys: TopicKeys, group: string, idleMs: number, self: string): Promise<number> {
    return Number(await this.runner.run('sweep', [keys.stream], [group, idleMs, self]))
  }

  /** XINFO GROUPS of a topic known to exist (an empty topic may have no stream yet: no groups). */
  async list (keys: TopicKeys): Promise<GroupInfo[]> {
    let reply: unknown[]
    try {
      reply = await this.runner.command(redis => redis.xinfo('GROUPS', keys.stream)) as unknown[]
    } catch (err) {
      if (/no such key/i.test((err as Error).message)) return []
      throw err
    }
    return reply.map(fields => {
      const group = pairs(fields as unknown[])
      const lag = group.get('lag')
      return {
        name: String(group.get('name')),
        consumers: Number(group.get('consumers')),
        pending: Number(group.get('pending')),
        lag: lag === null || lag === undefined ? undefined : Number(lag),
        lastDeliveredId: String(group.get('last-delivered-id'))
      }
    })
  }
}

/** A flat [field, value, …] reply as a map. */
function pairs (flat: unknown[]): Map<string, unknown> {
  const map = new Map<string, unknown>()
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(String(flat[i]), flat[i + 1])
  return map
}
