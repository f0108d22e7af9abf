import type { TopicEngine } from '../engine'
import type { ReadPage, ReadRequest } from '../types'

export type PageFetcher = (request: ReadRequest) => Promise<ReadPage | undefined>

/** The topic an open file reads: where it is now (it moves with renames) and which one it is. */
export interface ReadTarget {
  readonly path: string
  readonly uid: string
}

/**
 * A cursor over the topic `target` names. A topic created where that one was removed is another
 * file: the cursor reads it as ended. `onPage` is told how many messages each page fetched holds.
 */
export function topicCursor (engine: TopicEngine, target: ReadTarget, onPage?: (count: number) => void): ReadCursor {
  return new ReadCursor(async request => {
    const page = await engine.read(target.path, request)
    if (!page || page.uid !== target.uid) return undefined
    onPage?.(page.count)
    return page
  })
}

/** Bytes fetched per round trip once reading is sequential; FUSE asks for 128 KiB at most per read. */
export const DEFAULT_PAGE_BYTES = 512 * 1024
/** Bytes fetched for a read that jumped (dd skip=, tail -c): little beyond what was asked. */
const FIRST_PAGE_BYTES = 64 * 1024

/**
 * One open file's view of a topic as a byte stream. Keeps the rendered bytes of the last page
 * and where the stream continues after it, so a sequential reader costs one round trip per
 * page and never rescans from the first message; any other offset is found by the store.
 * While a sequential reader consumes a full page, the next one is already being fetched.
 */
export class ReadCursor {
  private buffer: Buffer = Buffer.alloc(0)
  private bufferStart = 0
  private gen = ''
  /**
   * Where this reader's offset 0 is (ReadPage.base): fixed while it reads on, so that retention
   * trimming the topic's head cannot shift what its offsets name; a jump starts again at the
   * oldest message kept.
   */
  private base: number | undefined
  private afterId = ''
  private afterPos = 0
  /** The engine's hint for the page after the buffered one (ReadPage.hint). */
  private hint: ReadPage['hint']
  /** Where the previous read ended: only a read that continues there is served from the buffer. */
  private nextOffset = 0
  private readAhead: { request: ReadRequest, page: Promise<ReadPage | undefined> } | undefined
  /** Grows from FIRST_PAGE_BYTES while reads stay sequential, like the kernel's readahead. */
  private window: number

  constructor (private readonly fetchPage: PageFetcher, private readonly pageBytes = DEFAULT_PAGE_BYTES) {
    this.window = Math.min(FIRST_PAGE_BYTES, pageBytes)
  }

  /**
   * Id of the last entry of the pages fetched so far ("" before any). Once a read came back
   * empty, that is the last entry read.
   */
  get lastId (): string {
    return this.afterId
  }

  /** Up to `length` bytes at `offset`; fewer only at the end of the topic. */
  async read (offset: number, length: number): Promise<Buffer> {
    // A reader that jumps (rewinds, seeks) gets fresh bytes: the topic may have been reset since.
    const sequential = offset === this.nextOffset
    if (!sequential) {
      this.base = undefined
      this.buffer = Buffer.alloc(0)
      this.readAhead = undefined
      this.window = Math.min(FIRST_PAGE_BYTES, this.pageBytes)
    }
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
      const page = await this.fetch({
        gen: this.gen, base: this.base, offset: at, afterId: this.afterId, afterPos: this.afterPos, maxBytes: Math.max(this.window, wanted), hint: this.hint
      })
      if (!page) break
      const resetMeanwhile = this.gen !== '' && page.gen !== this.gen
      this.load(page)
      if (sequential) {
        if (page.data.length >= this.window) this.startReadAhead()
        this.window = Math.min(this.window * 2, this.pageBytes)
      }
      // After a reset the bytes already handed out belong to the old content: end this read there.
      if (resetMeanwhile && parts.length > 0) break
      if (at < this.bufferStart || at >= this.bufferStart + this.buffer.length) break
    }
    const result = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
    this.nextOffset = offset + result.length
    return result
  }

  /** The page asked for, from the read-ahead when it fetched exactly that and found bytes. */
  private async fetch (request: ReadRequest): Promise<ReadPage | undefined> {
    const ahead = this.readAhead
    this.readAhead = undefined
    if (ahead && ahead.request.offset === request.offset && ahead.request.afterId === request.afterId &&
        ahead.request.gen === request.gen && ahead.request.base === request.base) {
      const page = await ahead.page.catch(() => undefined)
      // An empty answer may be stale by now (the end of the topic moves): ask again. So may a
      // short one asked with a smaller window, unless it already holds what is wanted now.
      if (page && page.data.length > 0 && (ahead.request.maxBytes >= request.maxBytes || page.data.length >= request.maxBytes)) return page
    }
    return this.fetchPage(request)
  }

  private startReadAhead (): void {
    const request = { gen: this.gen, base: this.base, offset: this.afterPos, afterId: this.afterId, afterPos: this.afterPos, maxBytes: this.window, hint: this.hint }
    const page = this.fetchPage(request)
    page.catch(() => undefined) // a failed read-ahead is retried by the read that needs it
    this.readAhead = { request, page }
  }

  private load (page: ReadPage): void {
    if (page.gen !== this.gen || page.base !== this.base) {
      this.afterId = ''
      this.afterPos = 0
    }
    this.base = page.base
    this.buffer = page.data
    this.bufferStart = page.firstPos
    this.gen = page.gen
    this.hint = page.hint
    if (page.lastId !== '') {
      this.afterId = page.lastId
      this.afterPos = page.firstPos + page.data.length
    }
  }
}
