import type { TopicEngine } from '../../../../src/topics/engine'
import type { Claim, GroupPolicy } from '../../../../src/topics/types'
import type { EngineBackend } from '../backend'

/**
 * What the consumer-group concerns of the engine contract share (claims.ts, holds.ts,
 * lifecycle.ts): what claim, acknowledge, giveBack, holdClaim, leaveGroup, sweepConsumers and
 * groups promise, as the Redis engine's claim.lua, hold.lua, leave.lua and sweep.lua keep it
 * with XAUTOCLAIM and XREADGROUP.
 */

export const line = (text: string) => ({ payload: Buffer.from(text), verbatim: false })
/** Long enough that nothing expires within a test. */
export const NEVER: GroupPolicy = { visibilityMs: 60_000, maxDeliveries: 5 }
/** Everything handed out and not acknowledged may be claimed again at once. */
export const AT_ONCE: GroupPolicy = { visibilityMs: 0, maxDeliveries: 5 }

export function text (claim: Claim | undefined): string {
  if (claim?.kind === 'message') return claim.data.toString()
  return claim?.kind ?? 'gone'
}

/** A maker of a topic "jobs" holding `messages`, on an engine of its own. */
export function jobsTopics (backend: EngineBackend): (...messages: string[]) => Promise<{ engine: TopicEngine, uid: string }> {
  return async (...messages) => {
    const engine = backend.freshStore()
    const { uid } = await engine.create('jobs')
    if (messages.length > 0) await engine.append('jobs', uid, messages.map(line))
    return { engine, uid }
  }
}
