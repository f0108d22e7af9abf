import { closeSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import path from 'node:path'
import type { JournalRecord } from './records'

/** Past this size the journal is written again from the state alone (see compact). */
const COMPACT_AFTER_BYTES = 4 * 1024 * 1024

/**
 * The state journal of one mount: a file of JSON lines in a directory the mount process made
 * for it (on tmpfs where there is one), appended to by the server that serves the connection
 * and read by the next one. Records are gathered while a request is served and written, in one
 * write(2), before anything reaches the kernel (FuseSession's beforeWrite): the kernel never
 * holds a node or handle that the journal lacks. A process killed outright cannot tear that
 * write halfway; a last line that does not parse is ignored all the same.
 */
export class JournalFile {
  private pending: string[] = []
  /** Records that may wait for the next that may not (see record). */
  private deferred: string[] = []
  private fd: number
  private bytes: number

  /** Opens the journal of `dir` for appending, after reading what it holds. */
  static open (dir: string): { journal: JournalFile, records: JournalRecord[] } {
    const file = path.join(dir, 'journal')
    let text = ''
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    return { journal: new JournalFile(file, Buffer.byteLength(text)), records: parseRecords(text) }
  }

  private constructor (private readonly file: string, bytes: number) {
    this.fd = openSync(file, 'a', 0o600)
    this.bytes = bytes
  }

  /**
   * `deferred`: the record may reach the file with the next one that is not, rather than before
   * the kernel hears more. For what a server that lacks it still gets right: a file closed that
   * it would keep open for nothing.
   */
  record (record: JournalRecord, deferred = false): void {
    (deferred ? this.deferred : this.pending).push(JSON.stringify(record))
  }

  /** Writes what was recorded since the last flush, unless all of it may wait. */
  flush (): void {
    if (this.pending.length === 0) return
    const text = [...this.deferred, ...this.pending].join('\n') + '\n'
    this.pending = []
    this.deferred = []
    this.bytes += writeSync(this.fd, text)
  }

  /** Whether the journal has grown enough to be compacted. */
  get large (): boolean {
    return this.bytes > COMPACT_AFTER_BYTES
  }

  /**
   * Replaces the journal by `state`, the records of the state as it is now (what was recorded
   * and not flushed is in it): a new file renamed over the old, so that a crash on the way
   * leaves one or the other whole.
   */
  compact (state: readonly JournalRecord[]): void {
    const next = this.file + '.next'
    const text = state.map(record => JSON.stringify(record) + '\n').join('')
    // No fsync: the journal outlives a server, not the machine.
    const fd = openSync(next, 'w', 0o600)
    try {
      writeSync(fd, text)
    } finally {
      closeSync(fd)
    }
    renameSync(next, this.file)
    closeSync(this.fd)
    this.fd = openSync(this.file, 'a', 0o600)
    this.bytes = Buffer.byteLength(text)
    this.pending = []
    this.deferred = []
  }

  close (): void {
    this.pending.push(...this.deferred.splice(0))
    this.flush()
    closeSync(this.fd)
  }
}

/** The records of a journal's text; a last line cut short is left out. */
export function parseRecords (text: string): JournalRecord[] {
  const records: JournalRecord[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    try {
      records.push(JSON.parse(line) as JournalRecord)
    } catch {
      break
    }
  }
  return records
}
