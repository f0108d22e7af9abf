import type { TopicEngine } from '../topics/engine'
import { TopicError } from '../topics/errors'

/**
 * Read-only metadata of a topic, as extended attributes user.dnpipes.NAME. Names outside that
 * prefix (security.*, system.posix_acl_*), which the kernel and coreutils ask about constantly,
 * are answered without Redis.
 */
export const XATTR_PREFIX = 'user.dnpipes.'
const XATTRS = ['key', 'entries', 'first-id', 'last-id'] as const
/** What a `.group/G/TOPIC` file adds: its group, as `dnpipes stat` shows it. */
const GROUP_XATTRS = ['group', 'group.consumers', 'group.pending', 'group.lag', 'group.last-delivered-id'] as const
type XattrName = typeof XATTRS[number] | typeof GROUP_XATTRS[number]

/** Whether `name` is one of dnpipes' own attributes (any other is answered without Redis). */
export function isDnpipesXattr (name: string): boolean {
  return ownName(name) !== undefined
}

function ownName (name: string): XattrName | undefined {
  if (!name.startsWith(XATTR_PREFIX)) return undefined
  const own = name.slice(XATTR_PREFIX.length)
  return ([...XATTRS, ...GROUP_XATTRS] as readonly string[]).includes(own) ? own as XattrName : undefined
}

/** Names of the metadata of the topic at `path` (none for directories); with `group`, the group's too. */
export async function listXattrs (engine: TopicEngine, path: string, group?: string): Promise<string[]> {
  const stat = await engine.stat(path)
  if (!stat) throw new TopicError('ENOENT', `no such file ${path}`)
  if (stat.kind !== 'topic') return []
  return [...XATTRS, ...(group === undefined ? [] : GROUP_XATTRS)].map(name => XATTR_PREFIX + name)
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
  switch (own) {
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
 * The metadata is read-only and nothing else is stored: ENOTSUP, which cp and mv (copying after
 * EXDEV) take as "this filesystem keeps no attributes" and pass over quietly.
 */
export function refuseXattrChange (name: string): never {
  throw new TopicError('ENOTSUP', name.startsWith(XATTR_PREFIX) ? 'user.dnpipes.* attributes are read-only' : 'dnpipes stores no extended attributes')
}
