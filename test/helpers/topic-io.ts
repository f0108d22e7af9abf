import type { Message } from '../../src/framing/message'
import type { TopicEngine } from '../../src/topics/engine'
import { FROM_FIRST } from '../../src/topics/readers/follow-cursor'
import { ReadCursor } from '../../src/topics/readers/read-cursor'

/** What the tests write to a topic and read back from it, on any engine. */

export const lines = (...texts: string[]): Message[] => texts.map(text => ({ payload: Buffer.from(text), verbatim: false }))

/** Everything a reader gets from offset 0 to the end, in reads of 1000 bytes. */
export async function readAll (store: TopicEngine, path: string, pageBytes = 4096): Promise<Buffer> {
  const cursor = new ReadCursor(request => store.read(path, request), pageBytes)
  const parts: Buffer[] = []
  for (let offset = 0; ; ) {
    const chunk = await cursor.read(offset, 1000)
    if (chunk.length === 0) return Buffer.concat(parts)
    parts.push(chunk)
    offset += chunk.length
  }
}

/** The rendered bytes of each message of a topic, one by one (by id, as a follower reads them). */
export async function messagesOf (engine: TopicEngine, path: string): Promise<string[]> {
  const out: string[] = []
  for (let after = FROM_FIRST; ;) {
    const page = await engine.readAfter(path, after, 1)
    if (!page || page.count === 0) return out
    out.push(page.data.toString())
    after = page.lastId
  }
}
