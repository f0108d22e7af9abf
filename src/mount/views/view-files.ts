import type { TopicEngine } from '../../topics/engine'
import { TopicError } from '../../topics/errors'
import { FollowCursor, FROM_FIRST } from '../../topics/readers/follow-cursor'
import type { Caller } from '../caller'
import type { Followers } from './followers'
import type { GroupFiles } from './group-files'
import type { FollowFile, Handle } from '../handles'
import { changedSinceLookup, pushTarget } from '../path-rules'
import type { ViewPath } from './views'
import type { FileState } from '../../restart/records'

export type ViewFile = Exclude<Handle, { kind: 'plain' }>

export interface ViewOptions {
  onMessages?: (direction: 'read', count: number) => void
  groups?: GroupFiles
}

/**
 * Opens a file of a view for reading: `.follow/` from the first message, `.live/` after the
 * last, `.group/G/` as a reader of group G. The views are read-only.
 */
export async function openView (engine: TopicEngine, at: ViewPath, writable: boolean, options: ViewOptions): Promise<ViewFile> {
  if (at.view === 'group' && at.group === undefined) throw new TopicError('EISDIR', '.group holds one directory per group')
  if (writable) throw new TopicError('EROFS', 'the .follow, .live and .group views are read-only')
  const stat = await engine.statTopic(at.path)
  if (!stat) throw changedSinceLookup(at.path)
  if (at.view === 'group') {
    if (!options.groups) throw new TopicError('ENOTSUP', 'this mount serves no consumer groups')
    return options.groups.open(at.path, stat.uid, at.group!)
  }
  const afterId = at.view === 'follow' ? FROM_FIRST : stat.lastId
  const file: FollowFile = { kind: 'follow', cursor: new FollowCursor(engine, at.path, stat.uid, afterId, options.onMessages) }
  return file
}

/**
 * A `.follow/` or `.live/` file another server had open: its first read goes on at the offset
 * the kernel asks for (the page it was in is in `state`).
 */
export function reopenFollower (engine: TopicEngine, state: Extract<FileState, { kind: 'follow' }>, options: ViewOptions): FollowFile {
  return { kind: 'follow', cursor: new FollowCursor(engine, state.path, state.uid, state.afterId, options.onMessages), page: state.page, resumes: true }
}

/**
 * A read of a view's file, which may block for the next message. `caller` interrupts it
 * (see Followers.read), and says for `.group/` files whose message it is to acknowledge. A view file keeps the path it
 * was opened by; what it reads follows the topic (renames too).
 */
export function readView (file: ViewFile, followers: Followers, fusePath: string, length: number, offset: number, caller?: Caller): Promise<Buffer> {
  if (file.kind === 'follow') {
    if (file.resumes) {
      file.cursor.resume(offset, file.page)
      file.resumes = false
    }
    return followers.read(fusePath, caller, signal => file.cursor.read(length, signal))
  }
  return followers.read(fusePath, caller, signal => file.read(offset, length, signal, caller?.tid))
}

/**
 * The topic a `.delay/S/T` file opened `writeOnly` pushes to, and S. The view is write-only, and
 * its O_TRUNC does nothing: `echo job > .delay/5/q` means "push", never "reset q".
 */
export async function delayedTarget (engine: TopicEngine, fusePath: string, writeOnly: boolean, readOnly: boolean): Promise<{ path: string, uid: string, delayMs?: number }> {
  if (!writeOnly) throw new TopicError('EACCES', '.delay/ is write-only: read the topic itself')
  const { path, delayMs } = pushTarget(fusePath, readOnly)
  const uid = await engine.topicUid(path)
  if (!uid) throw changedSinceLookup(path)
  return { path, uid, delayMs }
}
