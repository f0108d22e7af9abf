import type { FileState, FollowPosition } from '../restart/records'
import { TopicError } from '../topics/errors'
import type { FollowCursor } from '../topics/readers/follow-cursor'
import type { GroupFile } from './views/group-file'
import type { OpenFile } from './open-file'

/** An open `.follow/` or `.live/` file: reads block for new messages. */
export interface FollowFile {
  kind: 'follow'
  cursor: FollowCursor
  /** Where the last page it took went out (see FollowCursor.onPage). */
  page?: FollowPosition
  /** Taken over from the server before: the first read says at which offset it goes on. */
  resumes?: boolean
}

export type Handle = OpenFile | FollowFile | GroupFile

/** Told of the open files as they open, read on, write and close (see restart/records.ts). */
export interface FileJournal {
  opened (handle: number, file: FileState): void
  closed (handle: number): void
  followed (handle: number, page: FollowPosition): void
  wrote (handle: number, unique: string, held: Buffer): void
}

/** What the next server needs to open `file` again. */
export function stateOf (file: Handle): FileState {
  if (file.kind === 'plain') {
    const held = file.heldBytes()
    return { kind: 'plain', path: file.path, uid: file.uid, writable: file.writable, delayMs: file.delayMs, held: held.length > 0 ? held.toString('base64') : undefined, lastWrite: file.lastWrite }
  }
  if (file.kind === 'follow') return { kind: 'follow', path: file.cursor.path, uid: file.cursor.topicUid, afterId: file.cursor.openedAfter, page: file.page }
  return { kind: 'group', path: file.reader.path, uid: file.reader.uid, group: file.reader.group }
}

/** The open files of a mount, by the number FUSE knows them by. */
export class Handles {
  private readonly open = new Map<number, Handle>()
  /** Taken and not closed yet (their last pushes are under way): the next server still needs them. */
  private readonly closing = new Map<number, Handle>()
  private next: number

  /** Handles start after `firstHandle`, apart from those of servers before this one. */
  constructor (firstHandle = 0, readonly journal?: FileJournal) {
    this.next = firstHandle + 1
  }

  add (file: Handle): number {
    return this.adopt(this.next++, file, true)
  }

  /** `file` under `handle`, the number another server gave it (told to the journal when `opened`). */
  adopt (handle: number, file: Handle, opened = false): number {
    this.open.set(handle, file)
    if (handle >= this.next) this.next = handle + 1
    if (opened) this.journal?.opened(handle, stateOf(file))
    if (file.kind === 'follow') {
      file.cursor.onPage = (position, afterId) => {
        file.page = { position, afterId }
        this.journal?.followed(handle, file.page)
      }
    }
    return handle
  }

  /** A file taken is closed: the next server forgets it. */
  closed (handle: number): void {
    if (this.closing.delete(handle)) this.journal?.closed(handle)
  }

  /** Every open file, as the next server opens it again. */
  states (): Map<number, FileState> {
    const states = new Map<number, FileState>()
    for (const [handle, file] of [...this.open, ...this.closing]) states.set(handle, stateOf(file))
    return states
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
    if (!file) return undefined
    this.open.delete(handle)
    this.closing.set(handle, file)
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
