import { GroupEvents, GroupReader } from '../topics/group-reader'
import type { TopicEngine } from '../topics/engine'
import { HeldMessages } from '../topics/held-messages'
import type { GroupPolicy } from '../topics/types'
import { GroupFile } from './group-file'

export interface GroupFilesOptions {
  policy: GroupPolicy
  /** This mount's name in every group it reads (one consumer per mount, like one per process). */
  consumer: string
  events?: GroupEvents
}

/** Beats per visibility timeout that keep a message held: two may fail before it runs out. */
const BEATS_PER_TIMEOUT = 3

/** The `.group/` files of a mount: how they claim, and the messages they hold. */
export class GroupFiles {
  private readonly held: HeldMessages

  constructor (private readonly engine: TopicEngine, readonly options: GroupFilesOptions) {
    this.held = new HeldMessages(Math.max(1, Math.floor(options.policy.visibilityMs / BEATS_PER_TIMEOUT)))
  }

  open (path: string, uid: string, group: string): GroupFile {
    const reader = new GroupReader(this.engine, path, uid, group, this.options.consumer, this.options.policy, this.options.events)
    return new GroupFile(reader, this.held)
  }

  /** Messages held now, by every open group file. */
  get holding (): number {
    return this.held.size
  }

  /** At unmount: held messages are let go; other readers get them after the visibility timeout. */
  close (): void {
    this.held.close()
  }
}
