import { TopicError } from '../topics/errors'
import type { FollowCursor } from '../topics/follow-cursor'
import type { GroupFile } from './group-file'
import type { OpenFile } from './open-file'

/** An open `.follow/` or `.live/` file: reads block for new messages. */
export interface FollowFile {
  kind: 'follow'
  cursor: FollowCursor
}

export type Handle = OpenFile | FollowFile | GroupFile

/** The open files of a mount, by the number FUSE knows them by. */
export class Handles {
  private readonly open = new Map<number, Handle>()
  private next = 1

  add (file: Handle): number {
    const handle = this.next++
    this.open.set(handle, file)
    return handle
  }

  get (handle: number): Handle | undefined {
    return this.open.get(handle)
  }

  /** An open topic file (not a view); EBADF otherwise. */
  plain (handle: number): OpenFile {
    const file = this.open.get(handle)
    if (!file) throw new TopicError('EBADF', `no open file ${handle}`)
    if (file.kind !== 'plain') throw new TopicError('EBADF', 'the file is not open for writing')
    return file
  }

  /** Forgets the handle; returns what it was. */
  take (handle: number): Handle | undefined {
    const file = this.open.get(handle)
    this.open.delete(handle)
    return file
  }

  /** Whether reads of this handle may block (and so must not have a deadline). */
  isFollowing (handle: number): boolean {
    const kind = this.open.get(handle)?.kind
    return kind !== undefined && kind !== 'plain'
  }

  /** Open files whose reads may block (views). */
  get followers (): number {
    let count = 0
    for (const file of this.open.values()) if (file.kind !== 'plain') count++
    return count
  }

  /**
   * A topic renamed through this mount: its open files now read and write it under `to`. FUSE
   * tells plain files of their new path itself, but a view's file keeps the view path it was
   * opened by.
   */
  renamed (from: string, to: string): void {
    for (const file of this.open.values()) {
      if (file.kind === 'follow') {
        if (file.cursor.path === from) file.cursor.path = to
      } else if (file.kind === 'group') {
        if (file.reader.path === from) file.reader.path = to
      } else if (file.path === from) {
        file.path = to
      }
    }
  }
}
