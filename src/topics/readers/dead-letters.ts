import type { Message } from '../../framing/message'
import type { TopicEngine } from '../engine'
import { TopicError } from '../errors'
import type { Creator } from '../types'

/** Where the messages a group gave up on go: the ordinary topic TOPIC.dead beside it. */
export const DEAD_LETTER_SUFFIX = '.dead'

/**
 * Pushes `message` of the topic at `path` to its dead letters, TOPIC.dead, made with the
 * topic's owner, group and mode when missing; returns where it went.
 */
export async function moveToDeadLetters (engine: TopicEngine, path: string, message: Message): Promise<string> {
  const deadPath = path + DEAD_LETTER_SUFFIX
  const uid = await deadTopic(engine, path, deadPath)
  await engine.append(deadPath, uid, [message])
  return deadPath
}

async function deadTopic (engine: TopicEngine, path: string, deadPath: string): Promise<string> {
  const existing = await engine.topicUid(deadPath)
  if (existing) return existing
  const topic = await engine.statTopic(path)
  const creator: Creator | undefined = topic?.owner !== undefined && topic.group !== undefined && topic.mode !== undefined
    ? { owner: topic.owner, group: topic.group, mode: topic.mode }
    : undefined
  try {
    return (await engine.create(deadPath, creator)).uid
  } catch (err) {
    // Made meanwhile by another reader of the group: use it, unless it is a directory.
    if (!(err instanceof TopicError && err.code === 'EEXIST')) throw err
    const made = await engine.topicUid(deadPath)
    if (!made) throw new TopicError('EISDIR', `${deadPath} is a directory: no place for dead letters`)
    return made
  }
}
