import { applyOwnership } from '../rules/ownership'
import { splitPath } from '../paths'
import type { Creator, DirectoryEntry, DirectoryStat, OwnershipChange } from '../types'

export type Kind = DirectoryEntry['kind']

/**
 * The memory engine's directories: which names each one lists, and what each stores of its own
 * (ownership and times), as the Redis engine keeps them in listing and attribute hashes
 * (namespace.ts). A directory exists when its parent lists it; the root always does.
 */
export class MemoryNamespace {
  /** Children of each directory by its path ("" for the root); absent when it has none. */
  private readonly listings = new Map<string, Map<string, Kind>>()
  /** What each directory has stored of its own ("" for the root): ownership and times. */
  private readonly directories = new Map<string, Omit<DirectoryStat, 'kind'>>()

  /** How the parent of `path` lists it: as a topic, a directory, or not at all. */
  kindOf (path: string): Kind | undefined {
    const { parent, name } = splitPath(path)
    return this.listings.get(parent)?.get(name)
  }

  /** The attributes of the directory `path`, which the caller knows to exist. */
  directoryStat (path: string): DirectoryStat {
    return { kind: 'directory', ...this.directories.get(path) }
  }

  /** The children of the directory `path`, by name. */
  children (path: string): ReadonlyMap<string, Kind> {
    return this.listings.get(path) ?? new Map()
  }

  /** Lists `name` in `parent` as `kind`; the parent's mtime and ctime are now. */
  enlist (parent: string, name: string, kind: Kind): void {
    let listing = this.listings.get(parent)
    if (!listing) this.listings.set(parent, listing = new Map())
    listing.set(name, kind)
    this.touch(parent)
  }

  /** Whether `parent` listed `name`; when it did, its mtime and ctime are now. */
  unlist (parent: string, name: string): boolean {
    const listing = this.listings.get(parent)
    const listed = listing?.delete(name) ?? false
    if (listing?.size === 0) this.listings.delete(parent)
    if (listed) this.touch(parent)
    return listed
  }

  /** A new directory at `path`, whose parent exists and lists nothing there yet. */
  addDirectory (path: string, creator?: Creator): void {
    const { parent, name } = splitPath(path)
    this.enlist(parent, name, 'directory')
    const now = Date.now()
    const stored: Omit<DirectoryStat, 'kind'> = { mtimeMs: now, ctimeMs: now }
    if (creator) applyOwnership(stored, creator)
    this.directories.set(path, stored)
  }

  /** Removes the empty directory `path`. */
  removeDirectory (path: string): void {
    const { parent, name } = splitPath(path)
    this.unlist(parent, name)
    this.directories.delete(path)
  }

  /** chmod, chown, chgrp of the directory `path`; its ctime is now. */
  changeOwnership (path: string, change: OwnershipChange): void {
    const stored = this.directories.get(path) ?? {}
    applyOwnership(stored, change)
    stored.ctimeMs = Date.now()
    this.directories.set(path, stored)
  }

  /** Forgets every directory but the root's existence. */
  clear (): void {
    this.listings.clear()
    this.directories.clear()
  }

  private touch (path: string): void {
    const now = Date.now()
    this.directories.set(path, { ...this.directories.get(path), mtimeMs: now, ctimeMs: now })
  }
}
