import { renderInto } from '../framing/entry'
import { ReadPage, ReadRequest } from './topic-store'

export type PageFetcher = (request: ReadRequest) => Promise<ReadPage | undefined>

/** Bytes fetched per round trip at least; FUSE asks for 128 KiB at most per read. */
export const DEFAULT_PAGE_BYTES = 512 * 1024

/**
 * One open file's view of a topic as a byte stream. Keeps the rendered bytes of the last page
 * and where the stream continues after it, so a sequential reader costs one round trip per
 * page and never rescans from the first message; any other offset is found by the store.
 */
export class ReadCursor {
  private buffer: Buffer = Buffer.alloc(0)
  private bufferStart = 0
  private gen = ''
  private afterId = ''
  private afterPos = 0
  /** Where the previous read ended: only a read that continues there is served from the buffer. */
  private nextOffset = 0

  constructor (private readonly fetchPage: PageFetcher, private readonly pageBytes = DEFAULT_PAGE_BYTES) {}

  /** Up to `length` bytes at `offset`; fewer only at the end of the topic. */
  async read (offset: number, length: number): Promise<Buffer> {
    // A reader that jumps (rewinds, seeks) gets fresh bytes: the topic may have been reset since.
    if (offset !== this.nextOffset) this.buffer = Buffer.alloc(0)
    const parts: Buffer[] = []
    let at = offset
    let wanted = length
    while (wanted > 0) {
      const end = this.bufferStart + this.buffer.length
      if (at >= this.bufferStart && at < end) {
        const take = Math.min(wanted, end - at)
        parts.push(this.buffer.subarray(at - this.bufferStart, at - this.bufferStart + take))
        at += take
        wanted -= take
        continue
      }
      const page = await this.fetchPage({
        gen: this.gen, offset: at, afterId: this.afterId, afterPos: this.afterPos, maxBytes: Math.max(this.pageBytes, wanted)
      })
      if (!page) break
      const resetMeanwhile = this.gen !== '' && page.gen !== this.gen
      this.load(page)
      // After a reset the bytes already handed out belong to the old content: end this read there.
      if (resetMeanwhile && parts.length > 0) break
      if (at < this.bufferStart || at >= this.bufferStart + this.buffer.length) break
    }
    const result = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
    this.nextOffset = offset + result.length
    return result
  }

  private load (page: ReadPage): void {
    const rendered: Buffer[] = []
    for (const [, fields] of page.entries) renderInto(fields, rendered)
    if (page.gen !== this.gen) {
      this.afterId = ''
      this.afterPos = 0
    }
    this.buffer = Buffer.concat(rendered)
    this.bufferStart = page.firstPos
    this.gen = page.gen
    const last = page.entries[page.entries.length - 1]
    if (last) {
      this.afterId = last[0]
      this.afterPos = page.firstPos + this.buffer.length
    }
  }
}
