import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { PAYLOAD_FIELD, VERBATIM_FIELD } from '../../framing/entry'
import type { Cluster, Redis } from 'ioredis'
import type { RedisClient } from '../../redis/connect'
import { toTopicFailure } from './failures'

/** Each script, with the number of its arguments that are keys (its .lua file names them). */
const SCRIPT_KEYS = {
  create: 2,
  stat: 6,
  append: 6,
  'append-at': 4,
  reconcile: 3,
  read: 4,
  follow: 5,
  reset: 4,
  remove: 5,
  rename: 15,
  link: 2,
  own: 1,
  claim: 5,
  hold: 1,
  'give-back': 1,
  leave: 1,
  sweep: 1,
  retain: 3,
  delay: 1
} as const

export type ScriptName = keyof typeof SCRIPT_KEYS

/** The folder of the .lua files; the build copies src/topics/redis/lua to dist/src/topics/redis/lua. */
export const LUA_DIR = path.join(__dirname, 'lua')

/**
 * The source Redis runs for `name`: the stored format's field names (from
 * src/framing/entry.ts, so that the scripts and the TypeScript side cannot disagree), the
 * shared helpers, then the script itself.
 */
export function scriptSource (name: ScriptName, dir = LUA_DIR): string {
  const fields = `local PAYLOAD_FIELD = ${JSON.stringify(PAYLOAD_FIELD)}\nlocal VERBATIM_FIELD = ${JSON.stringify(VERBATIM_FIELD)}\n`
  return fields + readFileSync(path.join(dir, 'helpers.lua'), 'utf8') + readFileSync(path.join(dir, `${name}.lua`), 'utf8')
}

export const SCRIPT_NAMES = Object.keys(SCRIPT_KEYS) as ScriptName[]

/** The scripts that change nothing a topic's stat shows (what they may change, Redis announces). */
const SHOWING_NOTHING_NEW: ReadonlySet<ScriptName> = new Set(['stat', 'read', 'follow'])

type Command = (...args: unknown[]) => Promise<unknown>

/**
 * Every command the topic layer sends goes through here, so that its failures reach the layers
 * above typed (see toTopicFailure): scripts by name, anything else through `command`.
 */
export class ScriptRunner {
  private readonly sources = new Map<ScriptName, string>()
  private readonly shas = new Map<ScriptName, string>()
  /** Hears of the keys of every script that may change a topic's stat, as it is sent (see topic-cache.ts: forget). */
  onChange: ((keys: readonly string[]) => void) | undefined

  constructor (readonly redis: RedisClient) {
    for (const name of SCRIPT_NAMES) {
      const lua = scriptSource(name)
      this.sources.set(name, lua)
      this.shas.set(name, createHash('sha1').update(lua).digest('hex'))
      redis.defineCommand(`dnpipes_${name}`, { numberOfKeys: SCRIPT_KEYS[name], lua })
    }
  }

  /**
   * Loads every script into the server (each master of a Cluster), so that the first operation
   * does not pay for a NOSCRIPT reply and the script's compilation. Scripts a server lost (a
   * restart) are sent again by ioredis when it answers NOSCRIPT; a user without SCRIPT LOAD
   * gets them that way too.
   */
  async preload (): Promise<void> {
    const nodes = this.redis.isCluster ? (this.redis as Cluster).nodes('master') : [this.redis as Redis]
    await Promise.all(nodes.flatMap(node => [...this.sources.values()].map(lua => node.script('LOAD', lua))))
  }

  /** The SHA1 digest EVALSHA names script `name` by (in a MULTI, say: run() sends the script itself when Redis lacks it). */
  sha (name: ScriptName): string {
    return this.shas.get(name)!
  }

  /** Loads script `name` into the server this runner's connection talks to (not a Cluster's other masters). */
  async load (name: ScriptName): Promise<void> {
    await this.command(redis => (redis as Redis).script('LOAD', this.sources.get(name)!))
  }

  /** Runs a script; `replies: 'buffer'` keeps bulk replies binary (payloads are bytes). */
  run (name: ScriptName, keys: string[], args: Array<string | number | Buffer>, replies: 'string' | 'buffer' = 'string'): Promise<unknown> {
    const script = (this.redis as unknown as Record<string, Command>)[`dnpipes_${name}${replies === 'buffer' ? 'Buffer' : ''}`]!
    if (this.onChange && !SHOWING_NOTHING_NEW.has(name)) this.onChange(keys)
    return script.call(this.redis, ...keys, ...args).catch(err => { throw toTopicFailure(err) })
  }

  /**
   * Runs a script once per call, in one pipeline (one round trip; a standalone or Sentinel
   * connection only: a Cluster would split it by slot). Each result, or its typed failure.
   */
  async runPipelined (name: ScriptName, calls: ReadonlyArray<readonly [string[], Array<string | number>]>): Promise<unknown[]> {
    const pipeline = (this.redis as Redis).pipeline() as unknown as Record<string, Command> & { exec: () => Promise<Array<[Error | null, unknown]> | null> }
    for (const [keys, args] of calls) pipeline[`dnpipes_${name}`]!.call(pipeline, ...keys, ...args)
    const replies = await pipeline.exec().catch(err => { throw toTopicFailure(err) })
    return (replies ?? []).map(([err, value]) => err ? toTopicFailure(err) : value)
  }

  /** Sends plain commands: `send(redis)`'s failure comes back typed. */
  command<T> (send: (redis: RedisClient) => Promise<T>): Promise<T> {
    return send(this.redis).catch(err => { throw toTopicFailure(err) })
  }
}
