/**
 * What a server writes down of its state before it tells the kernel about it, so that the next
 * server on the same connection (after a crash or an upgrade) serves the node ids and file
 * handles the kernel holds. One record per line of the journal (journal-file.ts). Pure.
 */

/** An open file as the next server opens it again. */
export type FileState =
  | { kind: 'plain', path: string, uid: string, writable: boolean, delayMs?: number, held?: string, lastWrite?: string }
  | { kind: 'follow', path: string, uid: string, afterId: string, page?: FollowPosition }
  | { kind: 'group', path: string, uid: string, group: string }

/** Where a follower's file offset `position` is in its topic: the first byte after entry `afterId`. */
export interface FollowPosition {
  position: number
  afterId: string
}

export type JournalRecord =
  /** The kernel was handed node `id` for `path` (linked: false, a removed name kept for open files). */
  | { t: 'node', id: number, path: string, linked?: false }
  /** The kernel forgot node `id`. */
  | { t: 'dropped', id: number }
  | { t: 'unlinked', path: string }
  | { t: 'renamed', from: string, to: string }
  | { t: 'opened', fh: number, file: FileState }
  | { t: 'closed', fh: number }
  /** A follower took a page: its first byte goes out at `position`, after entry `afterId`. */
  | { t: 'followed', fh: number, position: number, afterId: string }
  /**
   * A write through `fh` was applied (`unique`: the kernel's request), leaving `held` (base64)
   * of a partial line; a resent copy of that write is answered without applying it again.
   */
  | { t: 'wrote', fh: number, unique: string, held: string }

/** Open files by handle, from a journal's records in order. */
export function openFiles (records: readonly JournalRecord[]): Map<number, FileState> {
  const files = new Map<number, FileState>()
  for (const record of records) {
    if (record.t === 'opened') files.set(record.fh, record.file)
    else if (record.t === 'closed') files.delete(record.fh)
    else if (record.t === 'followed') {
      const file = files.get(record.fh)
      if (file?.kind === 'follow') files.set(record.fh, { ...file, page: { position: record.position, afterId: record.afterId } })
    } else if (record.t === 'wrote') {
      const file = files.get(record.fh)
      if (file?.kind === 'plain') files.set(record.fh, { ...file, held: record.held || undefined, lastWrite: record.unique })
    }
  }
  return files
}

/** What node changes do to a table (NodeTable's adopt, forget, unlinked and renamed). */
export interface NodeChanges {
  adopt (state: { id: number, path: string, linked: boolean }): void
  forget (id: number, count: number): void
  unlinked (path: string): void
  renamed (from: string, to: string): void
}

/** Applies a journal's node records, in order, to `table`. */
export function adoptNodes (records: readonly JournalRecord[], table: NodeChanges): void {
  for (const record of records) {
    if (record.t === 'node') table.adopt({ id: record.id, path: record.path, linked: record.linked !== false })
    else if (record.t === 'dropped') table.forget(record.id, Infinity)
    else if (record.t === 'unlinked') table.unlinked(record.path)
    else if (record.t === 'renamed') table.renamed(record.from, record.to)
  }
}
