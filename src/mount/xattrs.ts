import type { TopicEngine } from '../topics/engine'
import { TopicError } from '../topics/errors'

/**
 * Read-only metadata of a topic, as extended attributes user.dnpipes.NAME. Names outside that
 * prefix (security.*, system.posix_acl_*), which the kernel and coreutils ask about constantly,
 * are answered without Redis.
 */
export const XATTR_PREFIX = 'user.dnpipes.'
const XATTRS = ['key', 'entries', 'first-id', 'last-id'] as const
type XattrName = typeof XATTRS[number]

/** Whether `name` is one of dnpipes' own attributes (any other is answered without Redis). */
export function isDnpipesXattr (name: string): boolean {
  return ownName(name) !== undefined
}

function ownName (name: string): XattrName | undefined {
  if (!name.startsWith(XATTR_PREFIX)) return undefined
  const own = name.slice(XATTR_PREFIX.length)
  return (XATTRS as readonly string[]).includes(own) ? own as XattrName : undefined
}

/** Names of the metadata of the topic at `path` (none for directories). */
export async function listXattrs (engine: TopicEngine, path: string): Promise<string[]> {
  const stat = await engine.stat(path)
  if (!stat) throw new TopicError('ENOENT', `no such file ${path}`)
  return stat.kind === 'topic' ? XATTRS.map(name => XATTR_PREFIX + name) : []
}

/** A metadata value; undefined (ENODATA) for any other name, without asking Redis. */
export async function getXattr (engine: TopicEngine, path: string, name: string): Promise<Buffer | undefined> {
  const own = ownName(name)
  if (!own) return undefined
  const stat = await engine.stat(path)
  if (!stat) throw new TopicError('ENOENT', `no such file ${path}`)
  if (stat.kind !== 'topic') return undefined
  switch (own) {
    case 'key': return Buffer.from(engine.keyOf(path))
    case 'entries': return Buffer.from(String(stat.entries))
    case 'first-id': return Buffer.from(stat.entries > 0 ? (await engine.firstId(path)) ?? '' : '')
    case 'last-id': return Buffer.from(stat.entries > 0 ? stat.lastId : '')
  }
}

/**
 * The metadata is read-only and nothing else is stored: ENOTSUP, which cp and mv (copying after
 * EXDEV) take as "this filesystem keeps no attributes" and pass over quietly.
 */
export function refuseXattrChange (name: string): never {
  throw new TopicError('ENOTSUP', name.startsWith(XATTR_PREFIX) ? 'user.dnpipes.* attributes are read-only' : 'dnpipes stores no extended attributes')
}
