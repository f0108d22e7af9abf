import type { Stat } from '../fuse/types'
import type { TopicEngine } from '../topics/engine'
import type { PathStat, TopicStat } from '../topics/types'
import { buildAttr, DEFAULT_UMASK, Owner, processIds } from './attrs'
import { JustLookedUp } from './just-looked-up'
import { ListedNames } from './listed-names'
import type { View, ViewPath } from './views/views'

export interface ShownOwner {
  uid: number
  gid: number
  umask: number
}

const keyOf = (at: ViewPath): string => `${at.view}:${at.path}`

/**
 * How long the kernel may keep the attributes of a topic or directory that the engine holds:
 * their every change is announced, and the kernel is told to drop them then. The bound is for
 * what no announcement covers, as a name's own second in the kernel.
 */
export const HELD_KEEP_SECONDS = 1

/** What a lookup answered from a listing says of a topic: the kernel asks for the real one before use. */
const LISTED_TOPIC: TopicStat = { kind: 'topic', uid: '', size: 0, entries: 0, mtimeMs: 0, ctimeMs: 0, gen: '', lastId: '', retention: {}, scheduled: 0 }

/**
 * What getattr answers for an entry, given its stat: the mount's owner for entries without
 * stored ownership, no write bits in the views or on a read-only mount, and the answers that
 * need no I/O (a topic or directory the engine holds, a lookup of a name the last readdir
 * listed, the getattr right after a lookup that read the engine).
 */
export class ShownAttributes {
  /** For entries without stored ownership, and for what the daemon makes on its own. */
  readonly owner: Owner
  private readonly viewOwner: Owner
  private readonly mountedAtMs = Date.now()
  /** The names the last readdirs listed (see listed-names.ts). */
  readonly listed = new ListedNames()
  /** What the lookups that asked the engine read, for the getattr after each (see just-looked-up.ts). */
  private readonly lookedUp: JustLookedUp
  /** How long the kernel may keep what the engine holds (0 until someone tells it of changes). */
  keepSeconds = 0

  constructor (shownAs: Partial<ShownOwner> | undefined, readOnly: boolean, lookupFreshMs?: number) {
    this.lookedUp = new JustLookedUp(undefined, lookupFreshMs)
    const ids = processIds()
    const shown = {
      uid: shownAs?.uid ?? ids.uid,
      gid: shownAs?.gid ?? ids.gid,
      umask: shownAs?.umask ?? DEFAULT_UMASK
    }
    this.owner = { ...shown, readOnly }
    this.viewOwner = { ...shown, readOnly: true }
  }

  /** The answer for `at` when it needs no I/O; undefined when the engine must be asked. */
  known (engine: TopicEngine, at: ViewPath, lookup: boolean): Stat | undefined {
    const held = engine.heldStat?.(at.path) ?? engine.heldDirectory?.(at.path)
    if (held) return this.fromHeld(held, at, lookup)
    const listed = lookup && at.view === 'plain' ? this.listed.take(at.path, Date.now()) : undefined
    if (listed) return buildAttr(listed === 'topic' ? LISTED_TOPIC : { kind: 'directory' }, this.owner, this.mountedAtMs)
    return lookup ? undefined : this.lookedUp.take(keyOf(at))
  }

  /** The answer for `at` from the engine (undefined: no such entry); a lookup's is kept for the getattr after it. */
  async fetch (engine: TopicEngine, at: ViewPath, lookup: boolean): Promise<Stat | undefined> {
    const epoch = this.lookedUp.begin()
    const stat = await engine.stat(at.path)
    if (!stat) return undefined
    const shown = this.of(stat, at.view)
    if (lookup) this.lookedUp.remember(keyOf(at), shown, epoch)
    return engine.heldStat?.(at.path) === stat ? this.kept(shown, at) : shown
  }

  /**
   * What a listing hands the kernel of `at`, as the engine holds it (undefined: nothing held, or
   * nothing kept). The kernel then has the name without a lookup, so the listing answers none
   * of it: its next lookup (after an ESTALE, say) asks the engine.
   */
  listedWith (engine: TopicEngine, at: ViewPath): Stat | undefined {
    if (this.keepSeconds <= 0 || at.view !== 'plain') return undefined
    const stat = engine.heldStat?.(at.path)
    return stat ? this.fromHeld(stat, at, true) : undefined
  }

  /**
   * What the engine holds of `at`, as shown. Handed over with a name (`named`: a lookup's or a
   * listing's answer), it gives the kernel the real attributes: the last listing answers no
   * later lookup of that name.
   */
  private fromHeld (held: PathStat, at: ViewPath, named: boolean): Stat {
    if (named && at.view === 'plain') this.listed.forget(at.path)
    return this.kept(this.of(held, at.view), at)
  }

  /** `shown` with the time the kernel may keep it, when the engine holds it and `at` is no view's. */
  private kept (shown: Stat, at: ViewPath): Stat {
    return this.keepSeconds > 0 && at.view === 'plain' ? { ...shown, keepSeconds: this.keepSeconds } : shown
  }

  /** Something on this mount is changing: what lookups read before it answers no getattr after. */
  changed (): void {
    this.lookedUp.changed()
  }

  /**
   * The answer for `stat`, seen through the mount or through a view. A view file is a stream,
   * like a pipe: it has no size of its own. The reading views have no write bits; `.delay/`
   * files have only theirs, and its directories keep their modes, so that a push there may
   * create a topic as a plain one does.
   */
  of (stat: PathStat, view: View): Stat {
    if (view === 'plain') return buildAttr(stat, this.owner, this.mountedAtMs)
    const shown = stat.kind === 'topic' ? { ...stat, size: 0 } : stat
    if (view !== 'delay') return buildAttr(shown, this.viewOwner, this.mountedAtMs)
    const attr = buildAttr(shown, this.owner, this.mountedAtMs)
    return stat.kind === 'topic' ? { ...attr, mode: attr.mode & ~0o444 } : attr
  }
}
