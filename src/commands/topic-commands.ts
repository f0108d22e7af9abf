import { createFramer } from '../framing/framer'
import { Framing, Message } from '../framing/message'
import { TopicError } from '../topics/errors'
import { FollowCursor, FROM_FIRST } from '../topics/readers/follow-cursor'
import { fromFusePath } from '../topics/paths'
import { ReadCursor } from '../topics/readers/read-cursor'
import type { TopicEngine } from '../topics/engine'
import { describeLimits } from '../topics/rules/retention'
import { ensureTopic } from '../topics/tree'
import type { TopicStat } from '../topics/types'
import { cliCreators } from './creators'
import { writeOut } from './output'
import { StoreOptions, withStore } from './session'

/**
 * The dnpipes operations without FUSE: what they write and read is exactly what the filesystem
 * writes and reads (the same topic layer, framing and rendering).
 */

/** Bytes asked for per read and written per stdout write: a page of the store. */
const CHUNK_BYTES = 512 * 1024
/** Below this much input, pushing shows no progress; beyond it, a line every MiB. */
const PROGRESS_AFTER_BYTES = 4 * 1024 * 1024
const PROGRESS_EVERY_BYTES = 1024 * 1024

export function topicPath (topic: string): string {
  const path = fromFusePath(topic)
  if (path === '') throw new TopicError('EINVAL', 'a topic name is needed')
  return path
}

export async function requireTopic (store: TopicEngine, path: string): Promise<TopicStat> {
  const stat = await store.stat(path)
  if (!stat) throw new TopicError('ENOENT', `no topic ${path}`)
  if (stat.kind !== 'topic') throw new TopicError('EISDIR', `${path} is a directory`)
  return stat
}

export interface PushOptions extends StoreOptions {
  framing: Framing
  /** Scheduled this many ms later (delayed delivery); the topic's own delay when absent. */
  delay?: number
}

/**
 * push TOPIC [MSG...]: the words as one message, or stdin framed like a write to the file. The
 * topic and missing directories above it are made as `mkdir -p` would.
 */
export async function pushCommand (topic: string, words: string[], options: PushOptions): Promise<void> {
  const path = topicPath(topic)
  await withStore(options, async store => {
    const { uid } = await ensureTopic(store, path, cliCreators())
    if (words.length > 0) {
      await store.append(path, uid, [{ payload: Buffer.from(words.join(' ')), verbatim: false }], options.delay)
      return
    }
    const framer = createFramer(options.framing)
    const progress = new Progress(path)
    for await (const chunk of process.stdin) {
      const messages: Message[] = framer.push(chunk as Buffer)
      if (messages.length > 0) await store.append(path, uid, messages, options.delay)
      progress.add((chunk as Buffer).length)
    }
    const last = framer.takeRemainder()
    if (last) await store.append(path, uid, [last], options.delay)
    progress.done()
  }, { appendsOrWaits: true })
}

/** Shows progress on a terminal for inputs beyond a few MB. */
class Progress {
  private bytes = 0
  private shown = 0
  private readonly enabled = process.stderr.isTTY === true

  constructor (private readonly topic: string) {}

  add (bytes: number): void {
    this.bytes += bytes
    if (!this.enabled || this.bytes < PROGRESS_AFTER_BYTES || this.bytes - this.shown < PROGRESS_EVERY_BYTES) return
    this.shown = this.bytes
    process.stderr.write(`\rdnpipes: pushed ${(this.bytes / 1024 / 1024).toFixed(0)} MiB to ${this.topic}`)
  }

  done (): void {
    if (this.enabled && this.shown > 0) process.stderr.write(`\rdnpipes: pushed ${(this.bytes / 1024 / 1024).toFixed(1)} MiB to ${this.topic}\n`)
  }
}

export interface PullOptions extends StoreOptions {
  follow: boolean
  live: boolean
}

/** pull TOPIC: replays, then exits; --follow keeps delivering; --live only new messages. */
export async function pullCommand (topic: string, options: PullOptions): Promise<void> {
  const path = topicPath(topic)
  await withStore(options, async store => {
    const stat = await requireTopic(store, path)
    if (!options.follow && !options.live) {
      const cursor = new ReadCursor(request => store.read(path, request))
      for (let offset = 0; ;) {
        const chunk = await cursor.read(offset, CHUNK_BYTES)
        if (chunk.length === 0) return
        await writeOut(chunk)
        offset += chunk.length
      }
    }
    const cursor = new FollowCursor(store, path, stat.uid, options.live ? stat.lastId : FROM_FIRST)
    const never = new AbortController().signal
    for (;;) {
      const chunk = await cursor.read(CHUNK_BYTES, never)
      if (chunk.length === 0) return // the topic was removed
      await writeOut(chunk)
    }
  }, { appendsOrWaits: options.follow || options.live })
}

export async function resetCommand (topic: string, options: StoreOptions): Promise<void> {
  const path = topicPath(topic)
  await withStore(options, async store => {
    await requireTopic(store, path)
    await store.reset(path)
  })
}

export interface StatOptions extends StoreOptions {
  json: boolean
}

/** The consumer groups under the topic's fields: a header line and one line each, as columns. */
function groupTable (groups: Array<{ name: string, consumers: number, pending: number, lag: number | null, lastDeliveredId: string }>): string[] {
  if (groups.length === 0) return []
  const rows = [['group', 'consumers', 'pending', 'lag', 'last-delivered'], ...groups.map(group =>
    [group.name, String(group.consumers), String(group.pending), group.lag === null ? '?' : String(group.lag), group.lastDeliveredId])]
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map(row => row[column]!.length)))
  return ['', ...rows.map(row => row.map((cell, column) => column === row.length - 1 ? cell : cell.padEnd(widths[column]!)).join('  '))]
}

export async function statCommand (topic: string, options: StatOptions): Promise<void> {
  const path = topicPath(topic)
  await withStore(options, async store => {
    const stat = await requireTopic(store, path)
    const [firstId, groups] = await Promise.all([store.firstId(path), store.groups(path)])
    const info = {
      topic: path,
      key: store.keyOf(path),
      entries: stat.entries,
      bytes: stat.size,
      firstId: firstId ?? null,
      lastId: stat.entries > 0 ? stat.lastId : null,
      mtime: new Date(stat.mtimeMs).toISOString(),
      retain: describeLimits(stat.retention),
      scheduled: stat.scheduled,
      delaySeconds: stat.delayMs === undefined ? null : stat.delayMs / 1000
    }
    const groupList = (groups ?? []).map(group => ({ ...group, lag: group.lag ?? null }))
    if (options.json) {
      const { retain: _, ...json } = info
      return writeOut(JSON.stringify({ ...json, retention: stat.retention, groups: groupList }) + '\n')
    }
    const width = Math.max(...Object.keys(info).map(k => k.length))
    const lines = Object.entries(info).map(([k, v]) => `${k.padEnd(width)}  ${v ?? '-'}`)
    await writeOut([...lines, ...groupTable(groupList)].join('\n') + '\n')
  })
}
