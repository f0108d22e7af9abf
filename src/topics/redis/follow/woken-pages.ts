import { EntryFields, renderInto } from '../../../framing/entry'
import { compareIds } from '../../stream-id'
import type { FollowPage } from '../../types'

/** A stream's entries as XREAD returned them: id and fields, oldest first. */
export type StreamEntries = Array<[id: string, fields: EntryFields]>

/** An XREAD reply read as buffers (`xreadBuffer`), by stream key. */
export type XreadBufferReply = Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null

export function entriesByStream (reply: XreadBufferReply): Map<string, StreamEntries> {
  const byStream = new Map<string, StreamEntries>()
  for (const [stream, entries] of reply ?? []) {
    byStream.set(stream.toString(), entries.map(([id, fields]) => [id.toString(), fields]))
  }
  return byStream
}

/**
 * The page a follower after `afterId` of the topic `uid` reads from `entries`, rendered as a
 * read of the topic renders them (src/framing/entry.ts); undefined when none is after it.
 */
export function pageAfter (entries: StreamEntries, afterId: string, uid: string): FollowPage | undefined {
  const parts: Buffer[] = []
  let lastId = ''
  let count = 0
  for (const [id, fields] of entries) {
    if (compareIds(id, afterId) <= 0) continue
    renderInto(fields, parts)
    lastId = id
    count++
  }
  if (count === 0) return undefined
  return { uid, lastId, data: Buffer.concat(parts), count }
}
