import { ClaimAhead } from '../../topics/readers/claim-ahead'
import { ConsumerSweeps } from '../../topics/readers/consumer-sweeps'
import { GroupEvents, GroupReader, SharedReading } from '../../topics/readers/group-reader'
import type { TopicEngine } from '../../topics/engine'
import { heartbeatInterval, HeldMessages } from '../../topics/readers/held-messages'
import type { GroupPolicy } from '../../topics/types'
import { Turns } from '../../util/turns'
import { GroupFile } from './group-file'

export interface GroupFilesOptions {
  policy: GroupPolicy
  /** This mount's name in every group it reads (one consumer per mount, like one per process). */
  consumer: string
  events?: GroupEvents
}

/** The `.group/` files of a mount: how they claim, and the messages they hold. */
export class GroupFiles {
  private readonly held: HeldMessages
  /** What the readers of each group of each topic share (see GroupReader), and their open files, by topic uid and group. */
  private readonly shared = new Map<string, { reading: Required<SharedReading>, files: number }>()
  /** The key of `shared` each open file counts under. */
  private readonly keyOf = new WeakMap<GroupFile, string>()
  /** One sweep of a group's idle consumers per interval for the whole mount, not per file. */
  private readonly sweeps = new ConsumerSweeps()

  constructor (private readonly engine: TopicEngine, readonly options: GroupFilesOptions) {
    this.held = new HeldMessages(heartbeatInterval(options.policy.visibilityMs))
  }

  open (path: string, uid: string, group: string): GroupFile {
    const key = `${uid}\0${group}`
    const shared = this.shared.get(key) ?? { reading: { turns: new Turns(), ahead: new ClaimAhead(this.options.policy) }, files: 0 }
    shared.files++
    this.shared.set(key, shared)
    const reader = new GroupReader(this.engine, path, uid, group, this.options.consumer, this.options.policy, this.options.events, shared.reading, this.sweeps)
    const file = new GroupFile(reader, this.held)
    this.keyOf.set(file, key)
    return file
  }

  /** The last close of `file`: the last file of its group and topic here ends what they shared. */
  async release (file: GroupFile): Promise<void> {
    const key = this.keyOf.get(file)
    const shared = key === undefined ? undefined : this.shared.get(key)
    this.keyOf.delete(file)
    const last = shared === undefined || --shared.files === 0
    if (shared && last) {
      this.shared.delete(key!)
      void shared.reading.ahead.close()
    }
    await file.release(last)
  }

  /**
   * At unmount: owed acknowledgements are sent; held messages, and those claimed ahead, are let
   * go: other readers get them after the visibility timeout.
   */
  async close (): Promise<void> {
    this.held.close()
    await Promise.all([...this.shared.values()].map(({ reading }) => reading.ahead.close()))
  }
}
