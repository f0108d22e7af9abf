import debug from 'debug'
import { Errno } from './errno'
import { KeptAttributes } from './kept-attributes'
import { invalInode } from './reply'

const log = debug('dnpipes:fuse')

/** When the kernel did not know a node yet, the pauses before telling it again (see invalidate). */
const INVALIDATE_AGAIN_MS = [1, 10, 100]

/**
 * The kernel's side of attributes handed out to keep (Stat.keepSeconds): which nodes it keeps
 * (kept-attributes.ts), and the NOTIFY_INVAL_INODE that makes it drop them when they change.
 */
export class AttributeNotices {
  private readonly kept = new KeptAttributes()
  /** Writes a notification to the kernel (the session's notify: 0 or a negative errno); set once the session exists. */
  notify: ((chunks: Buffer[]) => number) | undefined

  /** The kernel was handed `nodeid`'s attributes, to keep `seconds`. */
  handedOut (nodeid: number, seconds: number): void {
    this.kept.kept(nodeid, seconds, Date.now())
  }

  /** The kernel forgot `nodeid`. */
  forgotten (nodeid: number): void {
    this.kept.forgotten(nodeid)
  }

  /** The attributes of `nodeid` (undefined: of every node) changed; `what` names it in the log. */
  changed (nodeid: number | undefined, what: string): void {
    const dropped = this.kept.changed(nodeid, Date.now())
    for (const id of dropped) this.invalidate(id, 0)
    if (dropped.length > 0 && log.enabled) log('attributes changed: %s, %d kept node(s) invalidated', what, dropped.length)
  }

  /**
   * Tells the kernel to drop `nodeid`'s attributes. A node handed out a moment ago may not be
   * the kernel's yet: the process that asked has not taken the reply in, so the kernel answers
   * ENOENT, and would then make the node with the attributes it was handed and keep them (a
   * node's first attributes are not checked against notifications, later ones are). So an
   * ENOENT is followed by a few more tries, by when it has.
   */
  private invalidate (nodeid: number, attempt: number): void {
    const result = this.notify?.(invalInode(nodeid, false))
    const pause = INVALIDATE_AGAIN_MS[attempt]
    if (result !== Errno.ENOENT || pause === undefined) return
    setTimeout(() => this.invalidate(nodeid, attempt + 1), pause).unref()
  }
}
