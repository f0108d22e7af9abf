import { NodeTable } from '../fuse/inodes'
import type { FileJournal } from '../mount/handles'
import { JournalFile } from './journal-file'
import { adoptNodes, FileState, JournalRecord, openFiles } from './records'

/**
 * A server's state journal (journal-file.ts), wired to what it records: the node table of the
 * FUSE layer and the open files of the filesystem. Opening it takes over what the server before
 * left: its nodes, already in `nodes`, and its open files, in `files`.
 */
export class ServerState {
  readonly nodes = new NodeTable()
  readonly files: Map<number, FileState>
  private readonly journal: JournalFile
  private openFilesNow: () => Map<number, FileState> = () => new Map()

  constructor (stateDir: string) {
    const { journal, records } = JournalFile.open(stateDir)
    this.journal = journal
    adoptNodes(records, this.nodes)
    this.files = openFiles(records)
  }

  /** What the filesystem tells of its open files. */
  readonly fileJournal: FileJournal = {
    opened: (fh, file) => this.journal.record({ t: 'opened', fh, file }),
    closed: fh => this.journal.record({ t: 'closed', fh }, true),
    followed: (fh, page) => this.journal.record({ t: 'followed', fh, position: page.position, afterId: page.afterId }),
    wrote: (fh, unique, held) => this.journal.record({ t: 'wrote', fh, unique, held: held.toString('base64') })
  }

  /**
   * Starts recording the node table's changes; `files` tells the open files when the journal
   * is compacted, which it is now, to what was taken over.
   */
  start (files: () => Map<number, FileState>): void {
    this.openFilesNow = files
    this.nodes.journal = {
      created: (id, path) => this.journal.record({ t: 'node', id, path }),
      dropped: id => this.journal.record({ t: 'dropped', id }),
      unlinked: path => this.journal.record({ t: 'unlinked', path }),
      renamed: (from, to) => this.journal.record({ t: 'renamed', from, to })
    }
    this.journal.compact(this.records())
  }

  /** Before anything reaches the kernel: the journal has what it is about to hear of. */
  flush (): void {
    if (this.journal.large) this.journal.compact(this.records())
    else this.journal.flush()
  }

  close (): void {
    this.journal.close()
  }

  /** The state as it is now, as records. */
  private records (): JournalRecord[] {
    const records: JournalRecord[] = []
    for (const node of this.nodes.states()) records.push(node.linked ? { t: 'node', id: node.id, path: node.path } : { t: 'node', id: node.id, path: node.path, linked: false })
    for (const [fh, file] of this.openFilesNow()) records.push({ t: 'opened', fh, file })
    return records
  }
}
