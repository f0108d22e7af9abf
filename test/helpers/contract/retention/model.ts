import type { TopicEngine } from '../../../../src/topics/engine'
import type { RetentionLimits } from '../../../../src/topics/types'
import type { EngineBackend } from '../backend'

/**
 * What the retention concerns of the engine contract share (limits.ts, readers.ts,
 * large-trims.ts, resets-and-groups.ts): what retain and the mount's default limits promise, as
 * helpers.lua's trim keeps it in Redis.
 */

/**
 * The model of the count and bytes limits: how many of the newest entries, of these rendered
 * sizes (oldest first), a topic keeps. The oldest go first; a bytes limit keeps the newest one.
 */
export function keptByLimits (sizes: number[], limits: RetentionLimits): number {
  let kept = 0
  let bytes = 0
  for (let i = sizes.length - 1; i >= 0 && kept < (limits.messages ?? Infinity); i--) {
    if (kept > 0 && bytes + sizes[i]! > (limits.bytes ?? Infinity)) break
    kept++
    bytes += sizes[i]!
  }
  return kept
}

/**
 * A maker of engines for the retention tests: each serves a mount whose default retention is
 * `defaults`, or no limit at all ({}: the Redis engine then reads and indexes in small pages).
 */
export function retainingEngines (backend: EngineBackend): (defaults?: RetentionLimits) => TopicEngine {
  return defaults => backend.freshStore(defaults ?? {})
}

export const numbered = (from: number, to: number, pad = 0): string[] =>
  Array.from({ length: to - from }, (_, i) => `m${String(from + i).padStart(pad, '0')}`)
export const rendered = (texts: string[]): string => texts.map(text => text + '\n').join('')
