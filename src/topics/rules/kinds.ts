import { TopicError } from '../errors'
import { ROOT } from '../paths'

/**
 * What a path names decides how a namespace operation answers: both engines find the kind their
 * own way (a listing hash on Redis, a map in memory) and answer from here, with the same errors
 * in the same order.
 */

/** What a directory lists a name as. */
export type ListedKind = 'topic' | 'directory' | undefined

export interface KindLookups {
  /** What the parent directory of `path` lists it as. */
  listedKind (path: string): Promise<ListedKind>
  /** Whether a topic exists at `path`, listed or not (yet). */
  hasTopic (path: string): Promise<boolean>
}

/** Resolves when `path` is a directory; ENOENT or ENOTDIR otherwise. */
export async function requireDirectory (lookups: KindLookups, path: string): Promise<void> {
  if (path === ROOT) return
  const listed = await lookups.listedKind(path)
  if (listed === 'directory') return
  if (listed === undefined && !await lookups.hasTopic(path)) throw new TopicError('ENOENT', `no directory ${path}`)
  throw new TopicError('ENOTDIR', `${path} is a topic`)
}

/** Resolves when rmdir may remove `path`: a directory other than the root, with no children. */
export async function requireRemovableDirectory (lookups: KindLookups, path: string, children: () => Promise<number>): Promise<void> {
  if (path === ROOT) throw new TopicError('EPERM', 'the root cannot be removed')
  const listed = await lookups.listedKind(path)
  if (listed === undefined) throw new TopicError('ENOENT', `no directory ${path}`)
  if (listed !== 'directory') throw new TopicError('ENOTDIR', `${path} is a topic`)
  if (await children() > 0) throw new TopicError('ENOTEMPTY', `${path} is not empty`)
}

/** Something is at `path` already (create, mkdir, a rename's target). */
export function exists (path: string, listed?: ListedKind): TopicError {
  return new TopicError('EEXIST', listed === 'directory' ? `${path} is a directory` : `${path} exists`)
}

/** No topic at `path`: EISDIR where a directory is, else ENOENT. */
export function noTopic (path: string, listed: ListedKind): TopicError {
  return listed === 'directory' ? new TopicError('EISDIR', `${path} is a directory`) : new TopicError('ENOENT', `no topic ${path}`)
}

/** Neither a topic nor a directory at `path` (chmod, chown, a listing). */
export function nothingAt (path: string): TopicError {
  return new TopicError('ENOENT', `no topic or directory ${path}`)
}
