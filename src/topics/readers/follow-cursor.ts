import { topicsLog } from '../../log'
import { sleep, unlessAborted } from '../../util/deadline'
import type { TopicEngine } from '../engine'
import { outlastingOutages } from './outages'
import { ReadCursor } from './read-cursor'
import type { FollowPage, ReadPage, ReadRequest } from '../types'

/** Bytes asked for per follow page: a few FUSE reads' worth, so a busy topic costs few round trips. */
const PAGE_BYTES = 256 * 1024
const EMPTY = Buffer.alloc(0)
/** The id before every entry: a follower from it replays the whole topic. */
export const FROM_FIRST = '0-0'
/** How often a topic that Redis lost (restarted empty) is looked for again. */
const LOST_TOPIC_POLL_MS = 500

/**
 * A follower's position in a topic, kept as the id of the last entry delivered (not as a byte
 * offset), so that it survives resets: after a reset it goes on with the messages pushed since.
 * Reads block until a message arrives; a removed topic ends the stream. A renamed topic is
 * followed to its new name, as `tail -f` follows a renamed file. A follower never fails because
 * Redis is down, restarting, frozen or failing over: it waits, then goes on after the last entry
 * it delivered; when Redis came back without the topic (a server without persistence restarted
 * empty), it goes on with the topic of that name once there is one, as after a reset.
 */
export class FollowCursor {
  private buffer: Buffer = EMPTY
  /**
   * A follower from the first message replays the topic as `cat` reads it, by byte offset, with
   * the same fast pages (see ranged-pages.ts); at its end it follows by id from the last entry.
   */
  private replay: { cursor: ReadCursor, offset: number } | undefined
  /** The server that held the topic when it was last found (see TopicEngine.serverId). */
  private server: string | undefined
  private readonly opened: string
  /** Bytes handed out so far: the file offset of the next byte (a follower reads on, never back). */
  private delivered = 0
  /** Bytes of the next page already handed out before a resume (see resume). */
  private skip = 0
  /**
   * Told, before a page goes out, at which file offset its first byte does and after which
   * entry it starts: enough for another process to go on from any offset inside it (resume).
   */
  onPage: ((position: number, afterId: string) => void) | undefined

  constructor (
    private readonly engine: TopicEngine,
    /** Where the topic is now; moves with renames. */
    public path: string,
    private uid: string,
    private afterId: string,
    private readonly onMessages?: (direction: 'read', count: number) => void
  ) {
    this.opened = afterId
    if (afterId === FROM_FIRST) {
      let gen: string | undefined
      this.replay = {
        offset: 0,
        cursor: new ReadCursor(async request => {
          const page = await this.readOwnTopic(request)
          // A reset means the byte offsets start over: the replay ends, and following by id goes
          // on after the last entry delivered (or finds the topic gone).
          if (!page || (gen !== undefined && page.gen !== gen)) return undefined
          gen = page.gen
          this.onMessages?.('read', page.count)
          return page
        })
      }
    }
  }

  /** The topic's identity (another one after Redis lost it: see findAgain). */
  get topicUid (): string {
    return this.uid
  }

  /** The entry this follower started after (FROM_FIRST: it replays the topic first). */
  get openedAfter (): string {
    return this.opened
  }

  /**
   * Goes on at file offset `offset` as another process left it: after entry `page.afterId`,
   * whose next bytes went out from `page.position` on; without a page, still in the replay
   * (from the first message), at that offset of it.
   */
  resume (offset: number, page: { position: number, afterId: string } | undefined): void {
    this.delivered = offset
    this.buffer = EMPTY
    if (page) {
      this.replay = undefined
      this.afterId = page.afterId
      this.skip = offset - page.position
    } else if (this.replay) {
      this.replay.offset = offset
    }
  }

  /**
   * Up to `length` bytes, waiting for them if none are there, however long Redis is away;
   * empty at the end (the topic removed, or `signal` aborted, which ends any wait at once).
   */
  async read (length: number, signal: AbortSignal): Promise<Buffer> {
    const chunk = await outlastingOutages(() => unlessAborted(this.next(length, signal), signal, EMPTY), signal, EMPTY,
      err => topicsLog('follower of %s waits for Redis: %s', this.path, err.message))
    this.delivered += chunk.length
    return chunk
  }

  private async next (length: number, signal: AbortSignal): Promise<Buffer> {
    this.server ??= await this.engine.serverId(this.path)
    if (this.replay) {
      const replay = this.replay
      let chunk = await replay.cursor.read(replay.offset, length)
      if (chunk.length === 0 && replay.cursor.lastId === '' && replay.offset > 0) {
        // Taken over at the very end of the replay: no page fetched yet names the entry ending
        // there, which following goes on after. Its last byte's page does.
        await replay.cursor.read(replay.offset - 1, 1)
        chunk = await replay.cursor.read(replay.offset, length)
      }
      if (chunk.length > 0) {
        replay.offset += chunk.length
        return chunk
      }
      if (replay.cursor.lastId !== '') this.afterId = replay.cursor.lastId
      this.replay = undefined
      this.onPage?.(this.delivered, this.afterId)
    }
    for (;;) {
      if (this.buffer.length > 0) {
        const chunk = this.buffer.subarray(0, length)
        this.buffer = this.buffer.subarray(chunk.length)
        return chunk
      }
      if (signal.aborted) return EMPTY
      const path = this.path
      const page = await this.engine.readAfter(path, this.afterId, Math.max(length, PAGE_BYTES))
      if (!page || page.uid !== this.uid) {
        if (await this.relocate(path)) continue
        if (await this.lostByRedis(path)) {
          await this.findAgain(signal)
          continue
        }
        return EMPTY
      }
      if (page.lastId !== '') {
        this.take(page)
        continue
      }
      const woken = await this.engine.waitForEntries(this.path, this.afterId, this.uid, signal, page.schedule)
      if (woken === 'aborted') return EMPTY
      if (typeof woken === 'object') this.take(woken)
    }
  }

  private take (page: FollowPage): void {
    this.onMessages?.('read', page.count)
    this.onPage?.(this.delivered - this.skip, this.afterId)
    const skipped = Math.min(this.skip, page.data.length)
    this.skip -= skipped
    this.buffer = page.data.subarray(skipped)
    this.afterId = page.lastId
  }

  /** A replay page of the followed topic, wherever renames took it; undefined once it is gone. */
  private async readOwnTopic (request: ReadRequest): Promise<ReadPage | undefined> {
    for (;;) {
      const path = this.path
      const page = await this.engine.read(path, request)
      if (page && page.uid === this.uid) return page
      if (!await this.relocate(path)) return undefined
    }
  }

  /** Whether the topic, not found at `from`, is now under another name (then this.path). */
  private async relocate (from: string): Promise<boolean> {
    const at = await this.engine.locate(from, this.uid)
    if (at === undefined || at === from) return false
    this.path = at
    return true
  }

  /** Whether the topic is gone because another server (a restart, a failover) holds `path` now. */
  private async lostByRedis (path: string): Promise<boolean> {
    const now = await this.engine.serverId(path)
    return now !== this.server
  }

  /** After Redis lost the topic: waits for a topic at the same path, and follows it from its start. */
  private async findAgain (signal: AbortSignal): Promise<void> {
    topicsLog('Redis came back without %s: following the topic of that name afresh, as after a reset', this.path)
    for (;;) {
      const stat = await this.engine.statTopic(this.path)
      if (stat) {
        this.uid = stat.uid
        this.afterId = FROM_FIRST
        this.skip = 0
        this.onPage?.(this.delivered, this.afterId)
        this.server = await this.engine.serverId(this.path)
        return
      }
      await sleep(LOST_TOPIC_POLL_MS, signal)
      if (signal.aborted) return
    }
  }
}
