import { Hub } from './follow-hub'
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

  constructor (
    private readonly store: TopicStore,
    private readonly hub: Hub,
    public path: string,
    private readonly uid: string,
    private afterId: string,
    private readonly onMessages?: (direction: 'read', count: number) => void
  ) {}

  /** Up to `length` bytes, waiting for them if none are there; empty at the end (removal, abort). */
  async read (length: number, signal: AbortSignal): Promise<Buffer> {
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
