import { Hub } from './follow-hub'
import { ReadCursor } from './read-cursor'
import { TopicStore } from './topic-store'

const PAGE_BYTES = 256 * 1024
const EMPTY = Buffer.alloc(0)

/**
 * A follower's position in a topic, kept as the id of the last entry delivered (not as a byte
 * offset), so that it survives resets: after a reset it goes on with the messages pushed since.
 * Reads block until a message arrives; a removed topic ends the stream.
 */
export class FollowCursor {
  private buffer: Buffer = EMPTY
  /**
   * A follower from the first message replays the topic as `cat` reads it, by byte offset, with
   * the same fast pages (see ranged-pages.ts); at its end it follows by id from the last entry.
   */
  private replay: { cursor: ReadCursor, offset: number } | undefined

  constructor (
    private readonly store: TopicStore,
    private readonly hub: Hub,
    public path: string,
    private readonly uid: string,
    private afterId: string,
    private readonly onMessages?: (direction: 'read', count: number) => void
  ) {
    if (afterId === '0-0') {
      let gen: string | undefined
      this.replay = {
        offset: 0,
        cursor: new ReadCursor(async request => {
          const page = await store.read(path, request)
          // Another topic by the same name means the followed one is gone; a reset means its
          // byte offsets start over. Either way the replay ends, and following by id goes on
          // after the last entry delivered (or finds the topic gone).
          if (!page || page.uid !== uid || (gen !== undefined && page.gen !== gen)) return undefined
          gen = page.gen
          this.onMessages?.('read', page.count)
          return page
        })
      }
    }
  }

  /** Up to `length` bytes, waiting for them if none are there; empty at the end (removal, abort). */
  async read (length: number, signal: AbortSignal): Promise<Buffer> {
    if (this.replay) {
      const replay = this.replay
      const chunk = await replay.cursor.read(replay.offset, length)
      if (chunk.length > 0) {
        replay.offset += chunk.length
        return chunk
      }
      if (replay.cursor.lastId !== '') this.afterId = replay.cursor.lastId
      this.replay = undefined
    }
    for (;;) {
      if (this.buffer.length > 0) {
        const chunk = this.buffer.subarray(0, length)
        this.buffer = this.buffer.subarray(chunk.length)
        return chunk
      }
      if (signal.aborted) return EMPTY
      const page = await this.store.readAfter(this.path, this.afterId, Math.max(length, PAGE_BYTES))
      if (!page || page.uid !== this.uid) return EMPTY
      if (page.lastId !== '') {
        this.onMessages?.('read', page.count)
        this.buffer = page.data
        this.afterId = page.lastId
        continue
      }
      const reason = await this.hub.wait(this.store.keys.topic(this.path), this.afterId, this.uid, signal)
      if (reason === 'aborted') return EMPTY
    }
  }
}
