import type { TopicEngine } from '../engine'
import { TopicError } from '../errors'
import { splitPath, validateNewPath } from '../paths'

/** What the rename rules need to know of an engine's names. */
export type NameLookups = Pick<TopicEngine, 'stat' | 'list' | 'requireDirectory'>

/**
 * rename(2)'s rules for a move from `from` to `to`, the same for every engine: throws the errno
 * when the move cannot be made, returns when the topic at `from` may replace whatever topic is
 * at `to`. Directories, and topics where the engine cannot move them atomically
 * (`atomicMoves` false: a Redis Cluster), answer EXDEV so that `mv` copies instead.
 */
export async function checkTopicRename (names: NameLookups, from: string, to: string, atomicMoves: boolean): Promise<void> {
  validateNewPath(to)
  const source = await names.stat(from)
  if (!source) throw new TopicError('ENOENT', `no such path ${from}`)
  const target = await names.stat(to)
  if (source.kind === 'directory') {
    if (target?.kind === 'topic') throw new TopicError('ENOTDIR', `${to} is a topic`)
    if (target?.kind === 'directory' && (await names.list(to)).length > 0) throw new TopicError('ENOTEMPTY', `${to} is not empty`)
    throw new TopicError('EXDEV', 'directories are moved by copying')
  }
  if (target?.kind === 'directory') throw new TopicError('EISDIR', `${to} is a directory`)
  if (!atomicMoves) throw new TopicError('EXDEV', 'topics on a Redis Cluster are moved by copying')
  await names.requireDirectory(splitPath(to).parent)
}
