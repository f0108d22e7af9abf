/**
 * The contract's namespace as a test oracle: topics (files) holding what was appended since
 * their last reset, in directories. Each operation says whether the shell command that does it
 * on a mount succeeds, and changes the model as the mount must. Pure.
 */

export type Entry = { kind: 'file', content: string } | { kind: 'dir' }

export type NamespaceOp =
  | { kind: 'append', path: string, text: string }
  | { kind: 'reset', path: string }
  | { kind: 'remove', path: string }
  | { kind: 'touch', path: string }
  | { kind: 'mkdir', path: string }
  | { kind: 'rmdir', path: string }
  | { kind: 'rename', path: string, to: string }

export function parentOf (path: string): string | undefined {
  const slash = path.lastIndexOf('/')
  return slash < 0 ? undefined : path.slice(0, slash)
}

export class NamespaceModel {
  readonly entries = new Map<string, Entry>()

  /** Applies `op` if the mount must let it succeed; returns whether it must. */
  apply (op: NamespaceOp): boolean {
    switch (op.kind) {
      case 'append': return this.write(op.path, content => content + op.text)
      case 'reset': return this.write(op.path, () => '')
      case 'remove': return this.holds(op.path, 'file') && this.entries.delete(op.path)
      case 'touch':
        if (!this.hasParent(op.path)) return false
        if (!this.entries.has(op.path)) this.entries.set(op.path, { kind: 'file', content: '' })
        return true
      case 'mkdir':
        if (!this.hasParent(op.path) || this.entries.has(op.path)) return false
        this.entries.set(op.path, { kind: 'dir' })
        return true
      case 'rmdir':
        return this.holds(op.path, 'dir') && this.children(op.path).length === 0 && this.entries.delete(op.path)
      case 'rename': return this.rename(op.path, op.to)
    }
  }

  /** Every entry, as `find -printf '%y %P\n' | sort` prints them. */
  listing (): string[] {
    return [...this.entries].map(([path, entry]) => `${entry.kind === 'dir' ? 'd' : 'f'} ${path}`).sort()
  }

  /** The files and what each holds. */
  files (): Array<[string, string]> {
    return [...this.entries].flatMap(([path, entry]): Array<[string, string]> => entry.kind === 'file' ? [[path, entry.content]] : [])
  }

  /** `printf >> path` and `truncate -s 0 path`: a missing file is made, a directory refused. */
  private write (path: string, change: (content: string) => string): boolean {
    if (!this.hasParent(path)) return false
    const entry = this.entries.get(path) ?? { kind: 'file', content: '' }
    if (entry.kind !== 'file') return false
    this.entries.set(path, { kind: 'file', content: change(entry.content) })
    return true
  }

  /** `mv -T from to`: a file over a file, a directory over an empty one, never into itself. */
  private rename (from: string, to: string): boolean {
    const source = this.entries.get(from)
    const target = this.entries.get(to)
    if (!source || from === to || to.startsWith(from + '/') || !this.hasParent(to)) return false
    if (target && target.kind !== source.kind) return false
    if (target?.kind === 'dir' && this.children(to).length > 0) return false
    const moved = [...this.entries].filter(([path]) => path === from || path.startsWith(from + '/'))
    for (const [path] of moved) this.entries.delete(path)
    for (const [path, entry] of moved) this.entries.set(to + path.slice(from.length), entry)
    return true
  }

  /** Whether `path` is an entry of `kind`. */
  private holds (path: string, kind: Entry['kind']): boolean {
    return this.entries.get(path)?.kind === kind
  }

  private hasParent (path: string): boolean {
    const parent = parentOf(path)
    return parent === undefined || this.holds(parent, 'dir')
  }

  private children (dir: string): string[] {
    return [...this.entries.keys()].filter(path => parentOf(path) === dir)
  }
}
