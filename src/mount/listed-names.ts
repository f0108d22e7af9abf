import { splitPath } from '../topics/paths'
import type { DirectoryEntry } from '../topics/types'

type Kind = DirectoryEntry['kind']

export interface ListedNamesOptions {
  /** How long a listing answers lookups after the readdir that fetched it. @default 5000 */
  maxAgeMs: number
  /** Listings kept at once (the most recent). @default 16 */
  maxDirectories: number
}

/** A listing is the directory as it was: after this long, lookups ask again. */
const LISTING_ANSWERS_MS = 5000
const LISTINGS_KEPT = 16
const DEFAULTS: ListedNamesOptions = { maxAgeMs: LISTING_ANSWERS_MS, maxDirectories: LISTINGS_KEPT }

interface Listing {
  at: number
  kinds: Map<string, Kind>
}

/**
 * The names a readdir just fetched, so that the kernel's lookup of each (ls -l, find and du look
 * up every name they list) is answered without a Redis round trip. A lookup only needs to know
 * that a name is there and whether it is a topic or a directory: what it answers the kernel
 * keeps for no time, so the kernel asks for the attributes again, from Redis, before anything
 * uses them. Each name answers one lookup, and only within maxAgeMs of its listing: the kernel's
 * next lookup of it (after ESTALE for a name another host removed, say) asks Redis. Pure: the
 * clock is passed in.
 */
export class ListedNames {
  private readonly options: ListedNamesOptions
  /** By directory path ("" for the root), oldest first. */
  private readonly listings = new Map<string, Listing>()

  constructor (options: Partial<ListedNamesOptions> = {}) {
    this.options = { ...DEFAULTS, ...options }
  }

  /** A readdir of `dir` listed `entries` at `now`. */
  remember (dir: string, entries: readonly DirectoryEntry[], now: number): void {
    this.listings.delete(dir)
    this.listings.set(dir, { at: now, kinds: new Map(entries.map(entry => [entry.name, entry.kind])) })
    for (const oldest of this.listings.keys()) {
      if (this.listings.size <= this.options.maxDirectories) break
      this.listings.delete(oldest)
    }
  }

  /**
   * What the latest listing of its directory says `path` is, if it was listed within maxAgeMs
   * and not asked for since: the name answers this once.
   */
  take (path: string, now: number): Kind | undefined {
    const { parent, name } = splitPath(path)
    const listing = this.listings.get(parent)
    if (!listing) return undefined
    if (now - listing.at > this.options.maxAgeMs) {
      this.listings.delete(parent)
      return undefined
    }
    const kind = listing.kinds.get(name)
    if (kind !== undefined) listing.kinds.delete(name)
    return kind
  }

  /** Forgets what was listed of `path`: this mount changed it. */
  forget (path: string): void {
    const { parent, name } = splitPath(path)
    this.listings.get(parent)?.kinds.delete(name)
  }

  /** Forgets every listing (the engine lost its data, or the mount stops). */
  clear (): void {
    this.listings.clear()
  }
}
