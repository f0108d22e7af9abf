/** Where held entries go: the connection's reader (native/held-entries.h), through the session. */
export interface EntryHolder {
  /** Holds `reply` (a LOOKUP's body) for `name` in `parent`; the lookups answered from what it replaced. */
  hold (parent: number, name: Buffer, reply: Buffer): number
  /** Drops what is held for `name` in `parent`; the lookups answered from it. */
  drop (parent: number, name: Buffer): number
}

interface Held {
  parent: number
  name: Buffer
  key: string
}

/**
 * Lookups the connection's reader answers without JavaScript: names whose attributes the
 * filesystem holds (handed out with Stat.keepSeconds, every change of them announced). Each is
 * known here by its node, so that a change, a FORGET or a removal drops it. Every lookup
 * answered there is a reference the kernel counts and gives back with FORGET: dropping an entry
 * hands its count to `answered`, for the node table to count too.
 */
export class HeldLookups {
  private readonly byNode = new Map<number, Held>()
  private readonly byName = new Map<string, number>()
  /** Set once the session exists; nothing is held before. */
  holder: EntryHolder | undefined

  constructor (private readonly answered: (nodeid: number, lookups: number) => void) {}

  /** The reader answers lookups of `name` in `parent` with `reply`, an entry of node `nodeid`. */
  hold (nodeid: number, parent: number, name: string, reply: Buffer): void {
    if (!this.holder) return
    const key = `${parent}/${name}`
    const other = this.byName.get(key)
    if (other !== undefined && other !== nodeid) this.drop(other)
    const held = this.byNode.get(nodeid)
    if (held && held.key !== key) this.drop(nodeid)
    const entry = held?.key === key ? held : { parent, name: Buffer.from(name), key }
    this.count(nodeid, this.holder.hold(parent, entry.name, reply))
    this.byNode.set(nodeid, entry)
    this.byName.set(key, nodeid)
  }

  /** Lookups of node `nodeid` go to JavaScript again. */
  drop (nodeid: number): void {
    const held = this.byNode.get(nodeid)
    if (!held) return
    this.byNode.delete(nodeid)
    this.byName.delete(held.key)
    this.count(nodeid, this.holder?.drop(held.parent, held.name) ?? 0)
  }

  /** Every lookup goes to JavaScript again. */
  dropAll (): void {
    for (const nodeid of [...this.byNode.keys()]) this.drop(nodeid)
  }

  holds (nodeid: number): boolean {
    return this.byNode.has(nodeid)
  }

  private count (nodeid: number, lookups: number): void {
    if (lookups > 0) this.answered(nodeid, lookups)
  }
}
