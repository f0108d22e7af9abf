import { describeLimits, RETENTION_KINDS } from '../topics/rules/retention'
import type { RetentionChange } from '../topics/types'
import { writeOut } from './output'
import { StoreOptions, withStore } from './session'
import { requireTopic, topicPath } from './topic-commands'

export interface RetainOptions extends StoreOptions {
  messages?: number
  bytes?: number
  seconds?: number
  /** Lift every limit (then set the ones given with it). */
  none: boolean
}

/**
 * `dnpipes retain TOPIC [--messages N] [--bytes SIZE] [--seconds N] [--none]`: sets or lifts
 * the topic's limits as setfattr does on a mount, trims it to them, and prints the limits it
 * has then (without options, only prints them).
 */
export async function retainCommand (topic: string, options: RetainOptions): Promise<void> {
  const path = topicPath(topic)
  await withStore(options, async store => {
    await requireTopic(store, path)
    const change: RetentionChange = {}
    for (const kind of RETENTION_KINDS) {
      if (options[kind] !== undefined) change[kind] = options[kind]
      else if (options.none) change[kind] = null
    }
    if (Object.keys(change).length > 0) await store.retain(path, change)
    const stat = await requireTopic(store, path)
    await writeOut(`${path}: ${describeLimits(stat.retention)}\n`)
  })
}
