import { TopicError } from '../topics/errors'
import { NAME_MAX } from '../topics/paths'
import { delayMsOf, MAX_DELAY_SECONDS } from '../topics/schedule'
import { parseViewPath, ViewPath } from './views/views'

/**
 * What a FUSE path means for dnpipes: its view and topic path, the names it refuses, and which
 * paths may be changed. Pure: no I/O.
 */

/**
 * libfuse does not unlink a file that is still open: it renames it to ".fuse_hidden…" and
 * unlinks that name at the last close. dnpipes removes the topic at the rename instead, so that
 * the open handles see ESTALE, and answers the later unlink of the hidden name as done.
 */
const HIDDEN_PREFIX = '.fuse_hidden'

export function isHiddenName (path: string): boolean {
  return path.slice(path.lastIndexOf('/') + 1).startsWith(HIDDEN_PREFIX)
}

/** View and mount-relative path; a component longer than NAME_MAX is ENAMETOOLONG everywhere. */
export function resolve (fusePath: string): ViewPath {
  // The binding decodes names as UTF-8, replacing invalid bytes with U+FFFD: such a name
  // could never be found again under the bytes it was created with.
  if (fusePath.includes('\uFFFD')) throw new TopicError('EILSEQ', 'names must be valid UTF-8')
  const resolved = parseViewPath(fusePath)
  const qualifier = resolved.group ?? resolved.delay
  const components = qualifier === undefined ? resolved.path.split('/') : [qualifier, ...resolved.path.split('/')]
  for (const component of components) {
    if (Buffer.byteLength(component) > NAME_MAX) throw new TopicError('ENAMETOOLONG', `name longer than ${NAME_MAX} bytes`)
  }
  if (resolved.delay !== undefined && delayMsOf(resolved.delay) === undefined) {
    throw new TopicError('EINVAL', `.delay/${resolved.delay}: a delay is a number of seconds from 0 to ${MAX_DELAY_SECONDS}`)
  }
  return resolved
}

/** The delay in ms of a `.delay/S/…` path; undefined elsewhere. */
export function delayOf (at: ViewPath): number | undefined {
  return at.delay === undefined ? undefined : delayMsOf(at.delay)
}

export function requireWritable (readOnly: boolean): void {
  if (readOnly) throw new TopicError('EROFS', 'mounted read-only')
}

/** The topic path for an operation that changes something: never inside a view. */
export function changeablePath (fusePath: string, readOnly: boolean): string {
  const at = resolve(fusePath)
  if (at.view !== 'plain') throw refusedInView(at)
  requireWritable(readOnly)
  return at.path
}

/**
 * Where messages written to `fusePath` go: a topic, or a topic of `.delay/S/` with S in ms. A
 * view's own root and `.delay/` itself are directories (EISDIR); the reading views are EROFS.
 */
export function pushTarget (fusePath: string, readOnly: boolean): { path: string, delayMs?: number } {
  const at = resolve(fusePath)
  if (at.view === 'plain') return { path: changeablePath(fusePath, readOnly) }
  if (at.view !== 'delay') throw refusedInView(at)
  if (at.delay === undefined || at.path === '') throw new TopicError('EISDIR', '.delay holds one directory per delay')
  requireWritable(readOnly)
  return { path: at.path, delayMs: delayOf(at) }
}

/** EROFS for a change inside a view: the reading views take none, `.delay/` only writes. */
export function refusedInView (at: ViewPath): TopicError {
  return at.view === 'delay'
    ? new TopicError('EROFS', '.delay/ only takes writes of messages; change the topic itself')
    : new TopicError('EROFS', 'the .follow, .live and .group views are read-only')
}

/**
 * The kernel opens only names it looked up as files, but it keeps a name for a second
 * (entry_timeout): if no topic is there now, another host removed it (or put a directory in
 * its place). ESTALE makes the kernel look the name up again and redo the open, so that
 * `echo x >> t` creates the topic afresh and `cat t` answers ENOENT, as without the cache.
 */
export function changedSinceLookup (path: string): TopicError {
  return new TopicError('ESTALE', `${path} changed since the kernel looked it up`)
}
