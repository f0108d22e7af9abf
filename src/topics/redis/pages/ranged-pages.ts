import type { Cluster, Redis } from 'ioredis'
import { addressFrom, connectedAddress, RawAddress, RawConnection } from '../../../redis/raw-connection'
import { ReplyVisitor } from '../../../redis/resp-reader'
import { topicsLog } from '../../../log'
import { isTimeout } from '../../../util/deadline'
import { slotMaster } from '../key-slot'
import { TopicKeys } from '../keys'
import { PageRenderer, RenderedPage } from './page-renderer'
import type { PageHint, ReadPage } from '../../types'

/** What its connections are named after, after the client's own name. */
const PAGES = 'pages'

/**
 * An indexed entry where a page can end: its id and the byte offset where it starts. The Redis
 * engine's PageHint: the read script and these pages give it with a page, for the next one.
 */
export interface RangeEnd {
  id: string
  pos: number
}

export function isRangeEnd (hint: PageHint | undefined): hint is RangeEnd {
  return hint !== undefined && typeof (hint as Partial<RangeEnd>).id === 'string' && typeof (hint as Partial<RangeEnd>).pos === 'number'
}

export interface RangedRequest {
  gen: string
  /** The reader's offset 0 (ReadRequest.base): the index counts from the first entry since the last reset. */
  base: number
  afterId: string
  afterPos: number
  end: RangeEnd
}

/** After a connection could not be made or was refused, the scripts serve pages this long. */
const RETRY_AFTER_MS = 5000

/**
 * Sequential pages read as plain XRANGE between two points of the offset index, so Redis does
 * no more than walk the stream; the entries are rendered here as they arrive (page-renderer.ts)
 * on a connection of our own, since ioredis would build several objects per entry. The read
 * script, by contrast, spends about 1.3 µs of Redis's one thread per entry turning the entries
 * into Lua values.
 *
 * Answers undefined whenever it cannot serve a page exactly (no connection, a reset, an index
 * that no longer matches the stream, a redirect on a Cluster): the read script serves it then.
 */
export class RangedPages {
  private readonly connections = new Map<string, Promise<RawConnection>>()
  private readonly unavailableUntil = new Map<string, number>()

  constructor (
    private readonly redis: Redis | Cluster,
    private readonly cluster: boolean,
    private readonly pageBytes: number,
    /** The longest silence a page request waits out: ioredis's commandTimeout, as for any command. */
    private readonly timeoutMs: number,
    private readonly onReplyBytes?: (bytes: number) => void
  ) {}

  async read (keys: TopicKeys, request: RangedRequest): Promise<ReadPage | undefined> {
    const page = await this.request(keys, request)
    if (typeof page === 'string') return undefined
    if (page.uid === undefined || page.gen !== request.gen || page.count === 0) return undefined
    // Entries another client deleted leave the index pointing at other offsets: not exact.
    if (page.data.length !== request.end.pos - request.afterPos) return undefined
    const hint: RangeEnd | undefined = page.next && { id: page.next.id, pos: page.next.pos - request.base }
    return { uid: page.uid, gen: page.gen, base: request.base, firstPos: request.afterPos, lastId: page.lastId, data: page.data, count: page.count, hint }
  }

  /** Why pages of the topic at `keys` cannot be read this way now; undefined when they can. */
  async problem (keys: TopicKeys): Promise<string | undefined> {
    const page = await this.request(keys, { gen: '', base: 0, afterId: '0-0', afterPos: 0, end: { id: '0-1', pos: 1 } })
    return typeof page === 'string' ? page : undefined
  }

  /** The page, or why there is none. */
  private async request (keys: TopicKeys, request: RangedRequest): Promise<RenderedPage | string> {
    const address = this.addressOf(keys.stream)
    if (!address) return 'no connected node holds the topic'
    const key = address.path ?? `${address.host}:${address.port}`
    if ((this.unavailableUntil.get(key) ?? 0) > Date.now()) return 'set aside after a failure'
    let connection: RawConnection
    try {
      connection = await this.connection(key, address)
    } catch (err) {
      this.setAside(key, err as Error)
      return (err as Error).message
    }
    let page: RenderedPage | undefined
    const renderer = new PageRenderer(request.end.pos - request.afterPos, rendered => { page = rendered })
    const refused: string[] = []
    try {
      await connection.send([
        ['MULTI'],
        ['HMGET', keys.meta, 'uid', 'gen'],
        ['XRANGE', keys.stream, '(' + request.afterId, '(' + request.end.id],
        ['ZREVRANGEBYSCORE', keys.index, request.base + request.end.pos + this.pageBytes, '(' + String(request.base + request.end.pos), 'WITHSCORES', 'LIMIT', 0, 1],
        ['EXEC']
      ], [statusVisitor(refused), statusVisitor(refused), statusVisitor(refused), statusVisitor(refused), renderer])
    } catch (err) {
      this.connections.delete(key)
      // A silent Redis fails the read, as the script would after as long a wait. A connection
      // that broke is replaced by the next page; this one goes through the script.
      if (isTimeout(err)) throw err
      return (err as Error).message
    }
    if (!page) return 'no reply'
    if (refused.length > 0 || page.errors.length > 0) {
      // NOPERM (an ACL without MULTI or XRANGE) lasts; MOVED and the like pass once ioredis has the new map.
      const message = [...refused, ...page.errors].join('; ')
      this.setAside(key, new Error(message))
      return message
    }
    return page
  }

  close (): void {
    for (const connection of this.connections.values()) connection.then(c => c.close(), () => {})
    this.connections.clear()
  }

  private setAside (key: string, err: Error): void {
    topicsLog('pages from %s go through the read script for %d ms: %s', key, RETRY_AFTER_MS, err.message)
    this.unavailableUntil.set(key, Date.now() + RETRY_AFTER_MS)
  }

  private connection (key: string, address: RawAddress): Promise<RawConnection> {
    const existing = this.connections.get(key)
    if (existing) {
      return existing.then(connection => {
        if (!connection.broken) return connection
        this.connections.delete(key)
        return this.connection(key, address)
      })
    }
    if (!this.cluster) {
      // One node serves every topic: a connection elsewhere is to the master before a failover.
      for (const [other, stale] of this.connections) {
        this.connections.delete(other)
        stale.then(c => c.close(), () => {})
      }
    }
    const opened = RawConnection.open(address, this.timeoutMs, this.onReplyBytes)
    this.connections.set(key, opened)
    opened.catch(() => this.connections.delete(key))
    return opened
  }

  /** The node that holds `stream` now, as ioredis sees it. */
  private addressOf (stream: string): RawAddress | undefined {
    if (this.cluster) {
      const node = slotMaster(this.redis as Cluster, stream)
      return node && node.status === 'ready' ? addressFrom(node.options, node.options.host, node.options.port, PAGES) : undefined
    }
    return connectedAddress(this.redis as Redis, PAGES)
  }
}

/**
 * MULTI's +OK and each +QUEUED; errors (NOPERM, MOVED) go to `errors`. Not a ValueVisitor: with
 * one here, replays through a mount took 18% longer (52 MB: about 1 190 ms against 950 ms,
 * alternating builds, nothing else changed). Why was not pinned down; how V8 optimises the
 * visitor calls in RespReader.parse is the likely place.
 */
function statusVisitor (errors: string[]): ReplyVisitor {
  return { open () {}, close () {}, bulk () {}, nil () {}, integer () {}, status () {}, error (message) { errors.push(message) }, done () {} }
}
