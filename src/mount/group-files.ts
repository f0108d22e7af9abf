import { ConsumerSweeps } from '../topics/consumer-sweeps'
import { GroupEvents, GroupReader } from '../topics/group-reader'
import type { TopicEngine } from '../topics/engine'
import { heartbeatInterval, HeldMessages } from '../topics/held-messages'
import type { GroupPolicy } from '../topics/types'
import { Turns } from '../util/turns'
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
  /** The waiting turns of each group of each topic (see GroupReader) and its open files, by topic uid and group. */
  private readonly turns = new Map<string, { turns: Turns, files: number }>()
  /** One sweep of a group's idle consumers per interval for the whole mount, not per file. */
  private readonly sweeps = new ConsumerSweeps()

  constructor (private readonly engine: TopicEngine, readonly options: GroupFilesOptions) {
    this.held = new HeldMessages(heartbeatInterval(options.policy.visibilityMs))
  }

  open (path: string, uid: string, group: string): GroupFile {
    const key = `${uid}\0${group}`
    const shared = this.turns.get(key) ?? { turns: new Turns(), files: 0 }
    shared.files++
    this.turns.set(key, shared)
    const reader = new GroupReader(this.engine, path, uid, group, this.options.consumer, this.options.policy, this.options.events, shared.turns, this.sweeps)
    return new GroupFile(reader, this.held, () => {
      if (--shared.files > 0) return false
      this.turns.delete(key)
      return true
    })
  }

  /** At unmount: held messages are let go; other readers get them after the visibility timeout. */
  close (): void {
    this.held.close()
  }
}
