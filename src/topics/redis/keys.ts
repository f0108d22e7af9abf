import { DEFAULTS } from '../../options'
import { ROOT } from '../paths'

/**
 * Redis key layout. Every key of one topic carries the topic's path as a hash tag, so on a
 * Redis Cluster all of them live in one slot and the scripts that touch them stay atomic.
 *
 *   {P}{T}          Stream     the topic's messages; one entry per message, payload in field `data`
 *   {P}{T}:meta     Hash       uid (identity, so a removed-and-recreated topic is a new file),
 *                              bytes (rendered size), count (entries accounted), last (last
 *                              accounted entry id), mark (next offset to index), gen (reset
 *                              generation), mtime and ctime (ms), and owner, group and
 *                              mode (absent for topics made before they were stored), and
 *                              for delayed delivery due (the earliest due time), dseq (order of
 *                              the next scheduled message) and delay (the topic's own, ms)
 *   {P}{T}:idx      Sorted set byte offset -> entry id, one entry about every 64 KiB, so a read at
 *                              any offset starts near it instead of at the first message
 *   {P}{T}:delayed  Sorted set scheduled messages (delayed delivery), scored by the time they are
 *                              due (ms); member: 12 hex digits of order, l (line) or r
 *                              (verbatim), the payload (helpers.lua: schedule)
 *   {P}{T}:due      Stream     one entry (MAXLEN 1), added when a message is scheduled earlier
 *                              than any before: wakes the topic's waiting readers on every
 *                              mount, whose wait then ends at that time
 *   {P}{T}:moved    Hash       uid -> new path, for topics renamed away from T (standalone
 *                              Redis only), kept a day: followers on other mounts find a
 *                              renamed topic by it
 *   {P}{D}:dir      Hash       child name -> "f" (topic) or "d" (directory), for directory D;
 *                              the root directory is {P}{/}:dir
 *   {P}{D}:attrs    Hash       directory D's owner, group, mode, mtime and ctime (ms); absent
 *                              (or some fields absent) for directories made before they were
 *                              stored; the root's is {P}{/}:attrs
 *
 *   {P}directories Pub/sub    the path of every directory whose attributes or entries change
 *                              (standalone Redis), for the mounts that hold directories
 *
 * {P} is the prefix (default "dnpipes:"); {T} and {D} are paths relative to the mount root,
 * "team-a/orders", inside braces. "%", "{" and "}" in a path are written %25, %7B and %7D so
 * that the hash tag always spans the whole path.
 */

/** The key prefix of the option table (options.ts), where the default is written. */
export const DEFAULT_PREFIX = DEFAULTS.keys.prefix
export { ROOT }

export interface TopicKeys {
  stream: string
  meta: string
  index: string
  delayed: string
  due: string
  /** The tokens of the writers' last appends (append.lua: a write tried again is not applied twice). */
  writes: string
}

function tag (path: string): string {
  return '{' + path.replace(/[%{}]/g, ch => '%' + ch.charCodeAt(0).toString(16).toUpperCase()) + '}'
}

export class KeyLayout {
  constructor (readonly prefix: string = DEFAULT_PREFIX) {}

  topic (path: string): TopicKeys {
    const base = this.prefix + tag(path)
    return { stream: base, meta: base + ':meta', index: base + ':idx', delayed: base + ':delayed', due: base + ':due', writes: base + ':writes' }
  }

  /** Forwarding addresses of the topics renamed away from `path` (same slot as its keys). */
  moved (path: string): string {
    return this.prefix + tag(path) + ':moved'
  }

  directory (path: string): string {
    return this.prefix + tag(path === ROOT ? '/' : path) + ':dir'
  }

  /** Where scripts announce the path of every directory they change (see directory-watch.ts). */
  directoriesChannel (): string {
    return this.prefix + 'directories'
  }

  /** Directory `path`'s own attributes (same slot as its listing). */
  directoryAttributes (path: string): string {
    return this.prefix + tag(path === ROOT ? '/' : path) + ':attrs'
  }
}
