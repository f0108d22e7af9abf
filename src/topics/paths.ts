import { TopicError } from './errors'

/** Longest name of one path component, in bytes, as on most Unix filesystems. */
export const NAME_MAX = 255

/** Names at the root that dnpipes keeps for its own views: each a dot and the view's name (src/mount/views/views.ts). */
export const RESERVED_ROOT_NAMES: ReadonlySet<string> = new Set(['.follow', '.live', '.group', '.delay'])

/** Splits a mount-relative path into its parent path and its last component. */
/** The mount's root directory, as a path. */
export const ROOT = ''

export function splitPath (path: string): { parent: string, name: string } {
  const slash = path.lastIndexOf('/')
  return slash === -1
    ? { parent: '', name: path }
    : { parent: path.slice(0, slash), name: path.slice(slash + 1) }
}

/** The path of `name` in the directory `dir` ("" for the root). */
export function joinPath (dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`
}

/** "/team-a/orders" (a FUSE path) -> "team-a/orders"; "/" -> "". */
export function fromFusePath (fusePath: string): string {
  return fusePath.replace(/^\/+/, '').replace(/\/+$/, '')
}

/** Refuses names a topic or directory cannot have; reserved root names only on creation. */
export function validateNewPath (path: string): void {
  if (path === '') throw new TopicError('EEXIST', 'the root already exists')
  for (const component of path.split('/')) {
    if (component === '' || component === '.' || component === '..') {
      throw new TopicError('EINVAL', `invalid path component in "${path}"`)
    }
    if (Buffer.byteLength(component) > NAME_MAX) {
      throw new TopicError('ENAMETOOLONG', `name longer than ${NAME_MAX} bytes`)
    }
  }
  if (!path.includes('/') && RESERVED_ROOT_NAMES.has(path)) {
    throw new TopicError('EPERM', `"${path}" is reserved by dnpipes`)
  }
}
