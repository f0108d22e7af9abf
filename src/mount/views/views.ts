import { fromFusePath, RESERVED_ROOT_NAMES } from '../../topics/paths'

/**
 * The root holds four views that mirror the whole namespace: `.follow/T` replays topic T and
 * then blocks for new messages; `.live/T` delivers only messages pushed after the open;
 * `.group/G/T` hands each message of T to one reader of consumer group G (see group-file.ts);
 * `.delay/S/T` is write-only: what is pushed there enters T S seconds later.
 */
export type View = 'plain' | 'follow' | 'live' | 'group' | 'delay'

/** The views by the name of their directory at the root: the names the topic layer reserves. */
export const VIEW_DIRECTORIES: Readonly<Record<string, View>> = Object.fromEntries([...RESERVED_ROOT_NAMES].map(name => [name, name.slice(1) as View]))

export interface ViewPath {
  view: View
  /** The topic or directory path the view shows ("" for the view's own root). */
  path: string
  /** In `.group/G/…`, the group G; absent for `.group` itself and the other views. */
  group?: string
  /** In `.delay/S/…`, the delay S as written; absent for `.delay` itself and the other views. */
  delay?: string
}

export function parseViewPath (fusePath: string): ViewPath {
  const path = fromFusePath(fusePath)
  const [first, rest] = splitFirst(path)
  const view = VIEW_DIRECTORIES[first]
  if (!view) return { view: 'plain', path }
  if ((view !== 'group' && view !== 'delay') || rest === undefined) return { view, path: rest ?? '' }
  const [qualifier, inView] = splitFirst(rest)
  return view === 'group' ? { view, group: qualifier, path: inView ?? '' } : { view, delay: qualifier, path: inView ?? '' }
}

function splitFirst (path: string): [string, string | undefined] {
  const slash = path.indexOf('/')
  return slash === -1 ? [path, undefined] : [path.slice(0, slash), path.slice(slash + 1)]
}
