import { fromFusePath } from '../topics/paths'

/**
 * The root holds three read-only views that mirror the whole namespace: `.follow/T` replays topic
 * T and then blocks for new messages; `.live/T` delivers only messages pushed after the open;
 * `.group/G/T` hands each message of T to one reader of consumer group G (see group-file.ts).
 */
export type View = 'plain' | 'follow' | 'live' | 'group'

export const VIEW_DIRECTORIES: Readonly<Record<string, View>> = { '.follow': 'follow', '.live': 'live', '.group': 'group' }

export interface ViewPath {
  view: View
  /** The topic or directory path the view shows ("" for the view's own root). */
  path: string
  /** In `.group/G/…`, the group G; absent for `.group` itself and the other views. */
  group?: string
}

export function parseViewPath (fusePath: string): ViewPath {
  const path = fromFusePath(fusePath)
  const [first, rest] = splitFirst(path)
  const view = VIEW_DIRECTORIES[first]
  if (!view) return { view: 'plain', path }
  if (view !== 'group' || rest === undefined) return { view, path: rest ?? '' }
  const [group, inGroup] = splitFirst(rest)
  return { view, group, path: inGroup ?? '' }
}

function splitFirst (path: string): [string, string | undefined] {
  const slash = path.indexOf('/')
  return slash === -1 ? [path, undefined] : [path.slice(0, slash), path.slice(slash + 1)]
}
