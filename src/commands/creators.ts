import { creatorOf, processIds } from '../mount/attrs'
import type { Creators } from '../topics/tree'

/**
 * Who what the CLI makes belongs to: its user and group, with 0666 and 0777 less its umask,
 * as touch and mkdir would make them on a mount.
 */
export function cliCreators (): Creators {
  // process.umask() without an argument reads the umask (it sets it back at once).
  const maker = { ...processIds(), umask: process.umask() }
  return {
    topic: creatorOf(0o666, undefined, maker),
    directory: creatorOf(0o777, undefined, maker)
  }
}
