import { TopicError } from '../errors'
import type { Ownership, OwnershipChange } from '../types'

/** The permission bits a mode may hold: rwx for each class, setuid, setgid and sticky. */
export const MODE_BITS = 0o7777

/** Stored owner, group and mode, as Redis hands them back (null or absent when not stored). */
export function parseOwnership (owner: unknown, group: unknown, mode: unknown): Ownership {
  const result: Ownership = {}
  const number = (value: unknown): number | undefined => {
    if (value === null || value === undefined || value === '') return undefined
    const n = Number(value)
    return Number.isInteger(n) && n >= 0 ? n : undefined
  }
  const o = number(owner)
  const g = number(group)
  const m = number(mode)
  if (o !== undefined) result.owner = o
  if (g !== undefined) result.group = g
  if (m !== undefined) result.mode = m & MODE_BITS
  return result
}

/** The script arguments for owner, group and mode: '' for each one not given. */
export function ownershipArgs (change: OwnershipChange | undefined): [string, string, string] {
  const text = (value: number | undefined): string => value === undefined ? '' : String(value)
  return [text(change?.owner), text(change?.group), text(change?.mode === undefined ? undefined : change.mode & MODE_BITS)]
}

/** Whether `value` can be stored as an owner or group: a 32-bit id. */
export function isId (value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < 2 ** 32
}

/**
 * Copies onto `target` the owner, group and mode that `change` gives (a mode keeps its
 * permission bits only); returns whether it gave any.
 */
export function applyOwnership (target: Ownership, change: OwnershipChange): boolean {
  if (change.owner !== undefined) target.owner = change.owner
  if (change.group !== undefined) target.group = change.group
  if (change.mode !== undefined) target.mode = change.mode & MODE_BITS
  return change.owner !== undefined || change.group !== undefined || change.mode !== undefined
}

/** What chown(2) passes, as a 32-bit id, for an owner or group it leaves as it is. */
const UNCHANGED_ID = 0xffffffff

/** The change chown(2) with `uid` and `gid` asks for: an id of -1 leaves that one as it is. */
export function chownChange (uid: number, gid: number): OwnershipChange {
  const change: OwnershipChange = {}
  const given = (id: number): boolean => id !== -1 && id !== UNCHANGED_ID
  if (given(uid)) change.owner = uid
  if (given(gid)) change.group = gid
  for (const id of [change.owner, change.group]) if (id !== undefined && !isId(id)) throw new TopicError('EINVAL', `bad id ${id}`)
  return change
}
