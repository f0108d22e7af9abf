import type { TopicEngine } from '../topics/engine'
import { TopicError } from '../topics/errors'
import { parseLimit, RETENTION_KINDS, RetentionKind } from '../topics/rules/retention'
import { delayMsOf, MAX_DELAY_SECONDS } from '../topics/schedule'
import type { TopicStat } from '../topics/types'
import { changeablePath, resolve } from './path-rules'

/**
 * Metadata of a topic, as extended attributes user.dnpipes.NAME: read-only facts, and its
 * settings, its retention limits (user.dnpipes.retain-KIND) and its delay
 * (user.dnpipes.delay-seconds), which setfattr sets and removexattr lifts and which exist only
 * while set. Names outside that prefix (security.*, system.posix_acl_*), which
 * the kernel and coreutils ask about constantly, are answered without Redis.
 */
export const XATTR_PREFIX = 'user.dnpipes.'
const XATTRS = ['key', 'entries', 'first-id', 'last-id'] as const
/** What a `.group/G/TOPIC` file adds: its group, as `dnpipes stat` shows it. */
const GROUP_XATTRS = ['group', 'group.consumers', 'group.pending', 'group.lag', 'group.last-delivered-id'] as const
const RETENTION_XATTRS = RETENTION_KINDS.map(kind => `retain-${kind}` as const)
const DELAY_XATTR = 'delay-seconds'
type XattrName = typeof XATTRS[number] | typeof GROUP_XATTRS[number] | typeof RETENTION_XATTRS[number] | typeof DELAY_XATTR

/** Whether `name` is one of dnpipes' own attributes (any other is answered without Redis). */
export function isDnpipesXattr (name: string): boolean {
  return ownName(name) !== undefined
}

function ownName (name: string): XattrName | undefined {
  if (!name.startsWith(XATTR_PREFIX)) return undefined
  const own = name.slice(XATTR_PREFIX.length)
  return ([...XATTRS, ...GROUP_XATTRS, ...RETENTION_XATTRS, DELAY_XATTR] as readonly string[]).includes(own) ? own as XattrName : undefined
}

/** The kind of limit a retain-KIND attribute names; undefined for any other name. */
function retentionKindOf (name: string): RetentionKind | undefined {
  const own = ownName(name)
  return own?.startsWith('retain-') ? own.slice('retain-'.length) as RetentionKind : undefined
}

/** The names of the settings the topic has set. */
function settingNames (stat: TopicStat): string[] {
  const limits = RETENTION_KINDS.filter(kind => stat.retention[kind] !== undefined).map(kind => `${XATTR_PREFIX}retain-${kind}`)
  return stat.delayMs === undefined ? limits : [...limits, XATTR_PREFIX + DELAY_XATTR]
}

/** Names of the metadata of the topic at `path` (none for directories); with `group`, the group's too. */
export async function listXattrs (engine: TopicEngine, path: string, group?: string): Promise<string[]> {
  const stat = await engine.stat(path)
  if (!stat) throw new TopicError('ENOENT', `no such file ${path}`)
  if (stat.kind !== 'topic') return []
  return [...[...XATTRS, ...(group === undefined ? [] : GROUP_XATTRS)].map(name => XATTR_PREFIX + name), ...settingNames(stat)]
}

/**
 * A metadata value; undefined (ENODATA) for any other name, without asking Redis. The group
 * attributes exist on `.group/G/TOPIC` files (`group` given) once the group does.
 */
export async function getXattr (engine: TopicEngine, path: string, name: string, group?: string): Promise<Buffer | undefined> {
  const own = ownName(name)
  if (!own) return undefined
  const stat = await engine.stat(path)
  if (!stat) throw new TopicError('ENOENT', `no such file ${path}`)
  if (stat.kind !== 'topic') return undefined
  if (own === 'group' || own.startsWith('group.')) return groupXattr(engine, path, own, group, stat.entries)
  const kind = retentionKindOf(name)
  if (kind) return stat.retention[kind] === undefined ? undefined : Buffer.from(String(stat.retention[kind]))
  switch (own) {
    case DELAY_XATTR: return stat.delayMs === undefined ? undefined : Buffer.from(String(stat.delayMs / 1000))
    case 'key': return Buffer.from(engine.keyOf(path))
    case 'entries': return Buffer.from(String(stat.entries))
    case 'first-id': return Buffer.from(stat.entries > 0 ? (await engine.firstId(path)) ?? '' : '')
    case 'last-id': return Buffer.from(stat.entries > 0 ? stat.lastId : '')
  }
}

async function groupXattr (engine: TopicEngine, path: string, own: XattrName, group: string | undefined, entries: number): Promise<Buffer | undefined> {
  if (group === undefined) return undefined
  if (own === 'group') return Buffer.from(group)
  const info = (await engine.groups(path))?.find(candidate => candidate.name === group)
  switch (own) {
    case 'group.consumers': return Buffer.from(String(info?.consumers ?? 0))
    case 'group.pending': return Buffer.from(String(info?.pending ?? 0))
    // A group not made yet will start at the first message: everything is still to come.
    case 'group.lag': return Buffer.from(info ? (info.lag === undefined ? '?' : String(info.lag)) : String(entries))
    case 'group.last-delivered-id': return Buffer.from(info?.lastDeliveredId ?? '0-0')
  }
  return undefined
}

/**
 * setfattr (`value` given) or removexattr of `name` on the file at `fusePath`: only the settings
 * change (anything else is ENOTSUP, after the path's own errors; EROFS in the views).
 */
export async function changeXattr (engine: TopicEngine, fusePath: string, name: string, value: Buffer | undefined, readOnly: boolean): Promise<void> {
  resolve(fusePath)
  const kind = retentionKindOf(name)
  if (!kind && ownName(name) !== DELAY_XATTR) refuseXattrChange(name)
  const path = changeablePath(fusePath, readOnly)
  if (!kind) return value === undefined ? removeDelay(engine, path) : setDelay(engine, path, value)
  return value === undefined ? removeLimit(engine, path, kind) : setLimit(engine, path, kind, value)
}

/** EINVAL for a value that is not a delay (see delayMsOf). */
async function setDelay (engine: TopicEngine, path: string, value: Buffer): Promise<void> {
  const delayMs = delayMsOf(value.toString().trim())
  if (delayMs === undefined) throw new TopicError('EINVAL', `a delay is a number of seconds from 0 to ${MAX_DELAY_SECONDS}`)
  await engine.setDelay(path, delayMs)
}

/** Lifts the delay; ENODATA when it is not set. */
async function removeDelay (engine: TopicEngine, path: string): Promise<void> {
  if ((await settingsOf(engine, path)).delayMs === undefined) throw new TopicError('ENODATA', `${path} has no delay`)
  await engine.setDelay(path, null)
}

/** EINVAL for a value that is not a limit (see parseLimit). */
async function setLimit (engine: TopicEngine, path: string, kind: RetentionKind, value: Buffer): Promise<void> {
  let limit: number
  try {
    limit = parseLimit(kind, value.toString())
  } catch (err) {
    throw new TopicError('EINVAL', (err as Error).message)
  }
  await engine.retain(path, { [kind]: limit })
}

/** Lifts the limit; ENODATA when it is not set. */
async function removeLimit (engine: TopicEngine, path: string, kind: RetentionKind): Promise<void> {
  if ((await settingsOf(engine, path)).retention[kind] === undefined) throw new TopicError('ENODATA', `${path} has no ${kind} limit`)
  await engine.retain(path, { [kind]: null })
}

/** The topic at `path`, whose setting is to be lifted: ENOENT or EISDIR when it is none. */
async function settingsOf (engine: TopicEngine, path: string): Promise<TopicStat> {
  const stat = await engine.stat(path)
  if (!stat) throw new TopicError('ENOENT', `no such file ${path}`)
  if (stat.kind !== 'topic') throw new TopicError('EISDIR', `${path} is a directory`)
  return stat
}

/**
 * Other metadata is read-only and nothing else is stored: ENOTSUP, which cp and mv (copying
 * after EXDEV) take as "this filesystem keeps no attributes" and pass over quietly.
 */
export function refuseXattrChange (name: string): never {
  throw new TopicError('ENOTSUP', name.startsWith(XATTR_PREFIX) ? `${name} is read-only` : 'dnpipes stores no extended attributes')
}
