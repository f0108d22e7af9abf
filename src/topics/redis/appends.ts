import type { Cluster, Redis } from 'ioredis'
import type { Message } from '../../framing/message'
import type { RedisClient } from '../../redis/connect'
import { TopicError } from '../errors'
import { UnreconciledError } from './failures'
import type { HeldStats } from './held-stats'
import { slotMaster } from './key-slot'
import type { KeyLayout } from './keys'
import type { WriteToken } from '../engine'
import type { Lookup } from './lookup'
import { LastIds, PLACED_PAYLOAD_BYTES, placedAppend } from './placed-append'
import type { ScriptRunner } from './script-runner'

/** Rounds an append retries after accounting another client's entries. */
const APPEND_ROUNDS = 3

export interface AppendOptions {
  indexEvery: number
  /** Where appends announce their stream on a Cluster without keyspace notifications; '' for nowhere. */
  notifyChannel: string
  /** The mount's default retention, as the scripts take it. */
  retentionArgs: readonly string[]
  /** Replicas that must have each append before it counts as done (WAIT); 0 for none. */
  waitReplicas: number
  waitTimeoutMs: number
  cluster: boolean
}

/**
 * Appends to topics (append.lua): in one atomic step per call, after accounting what other
 * clients added, making room first when Redis is full, waiting for replicas when asked, and,
 * where stats are held, through the tracked connection, whose reply brings the held stat up to
 * date (see held-stats.ts).
 */
export class Appends {
  /** Where a payload placed by XADD goes: right after the topic's last id that this mount saw last. */
  private readonly lastIds = new LastIds()

  constructor (
    private readonly redis: RedisClient,
    private readonly runner: ScriptRunner,
    private readonly keys: KeyLayout,
    private readonly lookup: Lookup,
    private readonly held: HeldStats | undefined,
    private readonly options: AppendOptions
  ) {}

  /** Resolves with the topic's new size once Redis has applied every message. */
  async append (path: string, uid: string, messages: Message[], delayMs?: number, token?: WriteToken): Promise<number> {
    if (messages.length === 0) return 0
    const keys = this.keys.topic(path)
    // Through the tracked connection where stats are held (WAIT counts one connection's writes: the main one's).
    const held = this.held?.up && this.options.waitReplicas === 0 ? this.held : undefined
    const args: Array<string | number | Buffer> = [uid, this.options.indexEvery, messages.map(m => m.verbatim ? 'r' : 'l').join(''), this.options.notifyChannel, ...this.options.retentionArgs]
    // Set once Redis refused the append as full: a topic with limits then trims first (append.lua).
    const makeRoom = args.push('') - 1
    args.push(delayMs === undefined ? '' : Math.round(delayMs), held ? '1' : '', token?.writer ?? '', token?.request ?? '')
    for (const message of messages) args.push(message.payload)
    // A lone large payload goes into the stream by XADD itself where it can (placed-append.ts),
    // unless it may have been applied already: only append.lua looks.
    const placing = held !== undefined && token?.again !== true && messages.length === 1 && messages[0]!.payload.length >= PLACED_PAYLOAD_BYTES &&
      delayMs === undefined && this.options.retentionArgs.every(limit => limit === '')
    for (let round = 0; ; round++) {
      const mark = held?.mark ?? 0
      try {
        const reply = (placing && round === 0 && held ? await this.placed(path, uid, messages[0]!, held, token) : undefined) ??
          await (held?.runner ?? this.runner).run('append', [keys.stream, keys.meta, keys.index, keys.delayed, keys.due, keys.writes], args) as [string, string, number?]
        if (held) held.appended(path, mark, reply)
        this.lastIds.set(path, reply[1])
        if (this.options.waitReplicas > 0) await this.awaitReplicas(keys.stream)
        return Number(reply[0])
      } catch (err) {
        held?.forget(path)
        // Nothing was applied: account what another client added, then append after it.
        if (round < APPEND_ROUNDS && err instanceof UnreconciledError) {
          await this.lookup.reconcile(keys)
          continue
        }
        if (args[makeRoom] === '' && err instanceof TopicError && err.code === 'ENOSPC') {
          args[makeRoom] = '1'
          continue
        }
        throw err
      }
    }
  }

  /** placedAppend, told what this mount holds of the topic; undefined: append through append.lua. */
  private async placed (path: string, uid: string, message: Message, held: HeldStats, token: WriteToken | undefined): Promise<[string, string, number?] | undefined> {
    const keys = this.keys.topic(path)
    const { indexEvery, notifyChannel } = this.options
    return await placedAppend(held.runner, keys, uid, message, this.lastIds.get(path) ?? held.lastId(path), { indexEvery, notifyChannel, token }, () => this.lookup.reconcile(keys))
  }

  /**
   * WAIT counts the replicas that have this connection's writes so far. On a Cluster it must be
   * sent on the connection to the master that ran the append: the one that owns the slot.
   */
  private async awaitReplicas (stream: string): Promise<void> {
    const { waitReplicas, waitTimeoutMs } = this.options
    let connection: Redis = this.redis as Redis
    if (this.options.cluster) {
      const node = slotMaster(this.redis as Cluster, stream)
      if (!node) throw new TopicError('EIO', `no master known for the slot of ${stream}`)
      connection = node
    }
    const acknowledged = await this.runner.command(() => connection.wait(waitReplicas, waitTimeoutMs))
    if (acknowledged < waitReplicas) {
      throw new TopicError('EIO', `only ${acknowledged} of ${waitReplicas} replicas acknowledged the write within ${waitTimeoutMs} ms`)
    }
  }
}
