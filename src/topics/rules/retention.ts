import type { RetentionChange, RetentionLimits } from '../types'

/** The kinds of limit, in the order the scripts take them. */
export const RETENTION_KINDS = ['messages', 'bytes', 'seconds'] as const
export type RetentionKind = typeof RETENTION_KINDS[number]

/** Whether any limit is set. */
export function hasLimits (limits: RetentionLimits): boolean {
  return RETENTION_KINDS.some(kind => limits[kind] !== undefined)
}

/** "messages=100 seconds=60", or "none" (a mount's defaults then apply), as `dnpipes stat` shows them. */
export function describeLimits (limits: RetentionLimits): string {
  const set = RETENTION_KINDS.filter(kind => limits[kind] !== undefined).map(kind => `${kind}=${limits[kind]!}`)
  return set.length > 0 ? set.join(' ') : 'none'
}

/** A topic's own limits when it has any, else the mount's defaults (a topic with its own is not mixed with them). */
export function effectiveLimits (own: RetentionLimits, defaults: RetentionLimits): RetentionLimits {
  return hasLimits(own) ? own : defaults
}

/** The limits stored as the meta hash's retain-* fields (each absent, null or '' when not set). */
export function retentionOf (messages: unknown, bytes: unknown, seconds: unknown): RetentionLimits {
  const limits: RetentionLimits = {}
  const values = [messages, bytes, seconds]
  RETENTION_KINDS.forEach((kind, i) => {
    const value = values[i]
    if (value !== undefined && value !== null && value !== '') limits[kind] = Number(value)
  })
  return limits
}

/** Limits as script arguments: messages, bytes, seconds, '' for each not set. */
export function retentionArgs (limits: RetentionLimits): string[] {
  return RETENTION_KINDS.map(kind => limits[kind] === undefined ? '' : String(limits[kind]))
}

/** A change as retain.lua's arguments: '' leaves a limit, '-' lifts it. */
export function retentionChangeArgs (change: RetentionChange): string[] {
  return RETENTION_KINDS.map(kind => {
    const value = change[kind]
    if (value === undefined) return ''
    return value === null ? '-' : String(value)
  })
}

/** `limits` with `change` applied. */
export function changedLimits (limits: RetentionLimits, change: RetentionChange): RetentionLimits {
  const next: RetentionLimits = { ...limits }
  for (const kind of RETENTION_KINDS) {
    const value = change[kind]
    if (value === null) delete next[kind]
    else if (value !== undefined) next[kind] = value
  }
  return next
}

/** What trimming needs of an entry: its id's time and its rendered size. */
export interface TrimmedEntry {
  timeMs: number
  size: number
}

/**
 * How many of the oldest entries (given oldest first, `total` of them) to delete so that what is left is within every limit, the
 * strictest winning: the newest `messages`, at most `bytes` rendered bytes (never deleting the
 * newest entry for it) and none older than `seconds` before `nowMs`. The Redis engine does the
 * same in Lua (helpers.lua: trim).
 */
export function entriesToTrim (entries: Iterable<TrimmedEntry>, total: { count: number, bytes: number }, limits: RetentionLimits, nowMs: number): { count: number, bytes: number } {
  const cutoff = limits.seconds === undefined ? undefined : nowMs - limits.seconds * 1000
  const totalBytes = total.bytes
  let count = 0
  let bytes = 0
  for (const entry of entries) {
    const left = total.count - count
    const drop = (limits.messages !== undefined && left > limits.messages) ||
      (limits.bytes !== undefined && totalBytes - bytes > limits.bytes && left > 1) ||
      (cutoff !== undefined && entry.timeMs < cutoff)
    if (!drop) break
    count++
    bytes += entry.size
  }
  return { count, bytes }
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }

/**
 * A limit as a user writes it (setfattr, --retain-*, dnpipes retain): a positive whole number;
 * for bytes also with K, M, G or T (powers of 1024, "KiB" and "kB" read the same). RangeError
 * with what is expected otherwise.
 */
export function parseLimit (kind: RetentionKind, text: string): number {
  const match = /^\s*(\d+)\s*(?:([kmgt])i?b?)?\s*$/i.exec(text)
  const unit = match?.[2]?.toLowerCase() ?? ''
  const value = match ? Number(match[1]) * SIZE_UNITS[unit]! : NaN
  if (!match || (unit !== '' && kind !== 'bytes') || !Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(kind === 'bytes'
      ? `a bytes limit is a positive whole number, optionally with K, M, G or T, not "${text}"`
      : `a ${kind} limit is a positive whole number, not "${text}"`)
  }
  return value
}
