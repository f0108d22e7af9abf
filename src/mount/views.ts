import { fromFusePath } from '../topics/paths'

/**
 * The root holds two read-only views that mirror the whole namespace: `.follow/T` replays topic
 * T and then blocks for new messages; `.live/T` delivers only messages pushed after the open.
 */
export type View = 'plain' | 'follow' | 'live'

export const VIEW_DIRECTORIES: Readonly<Record<string, View>> = { '.follow': 'follow', '.live': 'live' }

export interface ViewPath {
  view: View
  /** The topic or directory path the view shows ("" for the view's own root). */
  path: string
}

export function parseViewPath (fusePath: string): ViewPath {
  const path = fromFusePath(fusePath)
  const slash = path.indexOf('/')
  const first = slash === -1 ? path : path.slice(0, slash)
  const view = VIEW_DIRECTORIES[first]
  if (!view) return { view: 'plain', path }
  return { view, path: slash === -1 ? '' : path.slice(slash + 1) }
}
