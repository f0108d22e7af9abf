import { Command, type Redis } from 'ioredis'
import { messageFields, PAYLOAD_FIELD, VERBATIM_FIELD } from '../../framing/entry'
import type { Message } from '../../framing/message'
import { topicsLog } from '../../log'
import { toTopicFailure, UnplacedError } from './failures'
import type { WriteToken } from '../engine'
import type { TopicKeys } from './keys'
import type { ScriptRunner } from './script-runner'
import { idAfter } from '../stream-id'

/**
 * From this size on, a lone payload is added by XADD itself (append-at.lua says why). Below it,
 * the script's share is small (about 20 µs of Redis time at 16 KiB), and one command does.
 */
export const PLACED_PAYLOAD_BYTES = 16 * 1024

/** The append script's reply: the topic's bytes, last id and count (none: the count is not known). */
export type AppendReply = [string, string, number?]

/** Topics' last ids remembered from this mount's own appends, the most recent `limit` topics'. */
export class LastIds {
  private readonly ids = new Map<string, string>()

  constructor (private readonly limit = 4096) {}

  get (path: string): string | undefined {
    return this.ids.get(path)
  }

  set (path: string, id: string): void {
    this.ids.delete(path)
    this.ids.set(path, id)
    if (this.ids.size > this.limit) this.ids.delete(this.ids.keys().next().value!)
  }
}

/** What the MULTI did, from EXEC's replies to the script and to the XADD. */
export type PlacedOutcome =
  /** Added and accounted. */
  | { kind: 'done', reply: AppendReply }
  /** Added, not accounted (the script failed, as on NOSCRIPT): accounting it is left. */
  | { kind: 'unaccounted', scriptError: unknown }
  /** Accounted, not added (the stream's last id had passed the id): the counters are wrong. */
  | { kind: 'unstored' }
  /** Neither: the script's failure says why. */
  | { kind: 'refused', error: unknown }

/** EXEC's replies to the script and to the XADD, as Redis sent them (failures as errors, bulk strings as buffers). */
export function placedOutcome (script: unknown, added: unknown): PlacedOutcome {
  const stored = !(added instanceof Error) && added !== null && added !== undefined
  if (!(script instanceof Error)) {
    if (!stored) return { kind: 'unstored' }
    const [bytes, id, count] = script as [Buffer | string, Buffer | string, number]
    return { kind: 'done', reply: [String(bytes), String(id), Number(count)] }
  }
  return stored ? { kind: 'unaccounted', scriptError: script } : { kind: 'refused', error: toTopicFailure(script) }
}

/**
 * XADD at `id`, whose payload goes to the socket as it is: ioredis would first copy the whole
 * command into one buffer, a copy that shows as garbage collection at gigabytes a minute.
 */
class PlacedXadd extends Command {
  constructor (private readonly stream: string, private readonly id: string, private readonly message: Message) {
    super('xadd', [stream, 'NOMKSTREAM', id, ...messageFields(message)])
  }

  override toWritable (socket: unknown): string | Buffer {
    const target = socket as { write?: (chunk: string | Buffer) => boolean, isPipeline?: boolean } | undefined
    if (!target?.write || target.isPipeline) return super.toWritable(socket as never)
    const bulk = (arg: string): string => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`
    const verbatim = this.message.verbatim ? bulk(VERBATIM_FIELD) + bulk('1') : ''
    target.write(`*${this.message.verbatim ? 8 : 6}\r\n${bulk('xadd')}${bulk(this.stream)}${bulk('NOMKSTREAM')}${bulk(this.id)}${bulk(PAYLOAD_FIELD)}$${this.message.payload.length}\r\n`)
    target.write(this.message.payload)
    return `\r\n${verbatim}`
  }
}

/**
 * Appends one large payload in a MULTI on the tracked connection (see tracked-stats.ts): the
 * accounting script, the XADD at the id it was told, and a read of the stream that keeps it
 * tracked, sent in one go so that nothing else the connection sends comes between them.
 * Resolves with the script's reply, or undefined when the payload is to go through append.lua
 * instead; rejects as append.lua would (ESTALE, UNRECONCILED, a lost connection).
 */
export async function placedAppend (runner: ScriptRunner, keys: TopicKeys, uid: string, message: Message, lastId: string | undefined, options: { indexEvery: number, notifyChannel: string, token?: WriteToken }, reconcile: () => Promise<void>): Promise<AppendReply | undefined> {
  const connection = runner.redis as Redis
  const id = idAfter(lastId, Date.now())
  const flag = message.verbatim ? 'r' : 'l'
  const queued = [
    new Command('multi', []),
    new Command('evalsha', [runner.sha('append-at'), 4, keys.stream, keys.meta, keys.index, keys.writes, uid, options.indexEvery, flag, options.notifyChannel, id, message.payload.length,
      options.token?.writer ?? '', options.token?.request ?? '']),
    new PlacedXadd(keys.stream, id, message),
    new Command('xlen', [keys.stream])
  ]
  const exec = new Command('exec', [])
  // Each is answered OK or QUEUED, or refused as it is queued, and then EXEC says so.
  for (const command of queued) command.promise.catch(() => {})
  for (const command of [...queued, exec]) connection.sendCommand(command)
  let replies: unknown[]
  try {
    replies = await exec.promise as unknown[]
  } catch (err) {
    // EXECABORT: a command was refused as it was queued (Redis full, say), so nothing ran.
    if (/EXECABORT/.test((err as Error).message)) return undefined
    throw toTopicFailure(err)
  }
  // Redis lost the script (a restart, SCRIPT FLUSH): whatever the XADD did, load it for the next.
  if (replies[0] instanceof Error && /NOSCRIPT/.test(replies[0].message)) await runner.load('append-at')
  const outcome = placedOutcome(replies[0], replies[1])
  switch (outcome.kind) {
    case 'done':
      return outcome.reply
    case 'unaccounted':
      topicsLog('append at %s of %s: %s', id, keys.stream, (outcome.scriptError as Error).message)
      await reconcile()
      return [String(Number(await connection.hget(keys.meta, 'bytes'))), id]
    case 'unstored':
      await reconcile()
      return undefined
    case 'refused':
      if (outcome.error instanceof UnplacedError || /NOSCRIPT/.test((outcome.error as Error).message)) return undefined
      throw outcome.error
  }
}
