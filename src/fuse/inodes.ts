/**
 * The node ids this layer gives the kernel, and the path each stands for. The kernel counts its
 * references to a node (one per successful LOOKUP, CREATE, MKDIR, … and per READDIRPLUS entry)
 * and gives them back with FORGET; a node is dropped when its count reaches zero. The root (1)
 * is never dropped. A path keeps its node id while the kernel holds it, so a name looked up
 * twice is the same node; a renamed node (and everything under it) takes its new path; a node
 * whose name was removed or replaced keeps its last path for the files still open on it.
 * Pure: no I/O.
 */

interface Node {
  id: number
  path: string
  lookups: number
  /** Whether `path` still names this node (false after an unlink or a replacing rename). */
  linked: boolean
}

export const ROOT_NODE = 1

/** Told of every change of the table, as it happens (see restart/records.ts). */
export interface NodeJournal {
  created (id: number, path: string): void
  dropped (id: number): void
  unlinked (path: string): void
  renamed (from: string, to: string): void
}

/** A node as the table holds it, to be written down and taken over. */
export interface NodeState {
  id: number
  path: string
  linked: boolean
}

export function childPath (parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`
}

function isAtOrUnder (path: string, root: string): boolean {
  return path === root || path.startsWith(root + '/')
}

export class NodeTable {
  private readonly byId = new Map<number, Node>()
  private readonly byPath = new Map<string, Node>()
  private nextId = ROOT_NODE + 1
  /** Told of each change (set once the table is taken over or starts). */
  journal: NodeJournal | undefined

  constructor () {
    const root = { id: ROOT_NODE, path: '/', lookups: 1, linked: true }
    this.byId.set(ROOT_NODE, root)
    this.byPath.set('/', root)
  }

  /**
   * Takes over node `id` from the server before this one. How many references the kernel holds
   * to it is not known (lookups answered by the reader are counted only when given back), so it
   * is kept for as long as this table lives.
   */
  adopt (state: NodeState): void {
    if (state.id === ROOT_NODE) return
    const node = { id: state.id, path: state.path, lookups: Infinity, linked: state.linked }
    this.byId.set(node.id, node)
    if (node.linked) this.byPath.set(node.path, node)
    this.nextId = Math.max(this.nextId, node.id + 1)
  }

  /** Every node but the root, as adopt() takes them. */
  states (): NodeState[] {
    const states: NodeState[] = []
    for (const node of this.byId.values()) if (node.id !== ROOT_NODE) states.push({ id: node.id, path: node.path, linked: node.linked })
    return states
  }

  /** The path of node `id`; undefined for a node the kernel has forgotten (or never had). */
  pathOf (id: number): string | undefined {
    return this.byId.get(id)?.path
  }

  /** The node id of `path` if the kernel holds one, without counting a reference. */
  idOf (path: string): number | undefined {
    return this.byPath.get(path)?.id
  }

  /** Counts one kernel reference to `path`'s node (made on first use) and returns its id. */
  remember (path: string): number {
    let node = this.byPath.get(path)
    if (!node) {
      node = { id: this.nextId++, path, lookups: 0, linked: true }
      this.byId.set(node.id, node)
      this.byPath.set(path, node)
      this.journal?.created(node.id, path)
    }
    node.lookups++
    return node.id
  }

  /** `count` more kernel references to node `id`, made elsewhere (lookups answered by the reader: held-lookups.ts). */
  counted (id: number, count: number): void {
    const node = this.byId.get(id)
    if (node) node.lookups += count
  }

  /** The kernel gave back `count` references to node `id` (every one: Infinity). */
  forget (id: number, count: number): void {
    const node = this.byId.get(id)
    if (!node || id === ROOT_NODE) return
    node.lookups = count === Infinity ? 0 : node.lookups - count
    if (node.lookups > 0) return
    this.byId.delete(id)
    if (node.linked && this.byPath.get(node.path) === node) this.byPath.delete(node.path)
    this.journal?.dropped(id)
  }

  /** `path` no longer names its node (unlink, rmdir). */
  unlinked (path: string): void {
    const node = this.byPath.get(path)
    if (!node) return
    node.linked = false
    this.byPath.delete(path)
    this.journal?.unlinked(path)
  }

  /**
   * `from` (and everything under it) is now at `to`. The nodes `to` and the names under it had
   * are unlinked: a directory is replaced only when empty, so a node still held under it names
   * a topic removed elsewhere, and must not share its path with the node moved there.
   */
  renamed (from: string, to: string): void {
    const replaced: Node[] = []
    const moved: Node[] = []
    for (const node of this.byPath.values()) {
      if (isAtOrUnder(node.path, to)) replaced.push(node)
      else if (isAtOrUnder(node.path, from)) moved.push(node)
    }
    for (const node of replaced) this.unlinked(node.path)
    if (moved.length > 0) this.journal?.renamed(from, to)
    for (const node of moved) this.byPath.delete(node.path)
    for (const node of moved) {
      node.path = to + node.path.slice(from.length)
      this.byPath.set(node.path, node)
    }
  }

  /** How many nodes the kernel holds, the root included. */
  get size (): number {
    return this.byId.size
  }
}
