import type { FileState } from '../restart/records'
import type { TopicEngine } from '../topics/engine'
import { TopicError } from '../topics/errors'
import type { Handle } from './handles'
import type { OpenFile } from './open-file'
import { reopenFollower, ViewOptions } from './views/view-files'

export interface ReopenContext {
  engine: TopicEngine
  options: ViewOptions
  /** A plain open file of the topic `uid` at `path`, as open(2) makes one. */
  openFile (path: string, uid: string, writable: boolean, delayMs?: number): OpenFile
}

/**
 * An open file another server of this connection had, opened again as it was: a plain file with
 * the partial line it held and its last write's number, a follower that goes on at the kernel's
 * offset, a `.group/` file. Nothing is asked of Redis.
 */
export function reopen (state: FileState, context: ReopenContext): Handle {
  if (state.kind === 'plain') {
    const file = context.openFile(state.path, state.uid, state.writable, state.delayMs)
    if (state.held) file.adoptHeld(Buffer.from(state.held, 'base64'))
    file.lastWrite = state.lastWrite
    return file
  }
  if (state.kind === 'follow') return reopenFollower(context.engine, state, context.options)
  if (!context.options.groups) throw new TopicError('ENOTSUP', 'this mount serves no consumer groups')
  return context.options.groups.open(state.path, state.uid, state.group)
}
