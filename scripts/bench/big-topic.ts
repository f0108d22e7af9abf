import path from 'node:path'
import { mount, MountedDir } from '../support/mount'
import { Bench } from './context'
import { writeLines } from './scratch'
import { LINE_BYTES } from './sizes'
import { must } from './steps'

/** The topic S1 and R2 read: written through one mount, read through a fresh one. */
export interface BigTopic {
  /** The topic on `fresh`. */
  topic: string
  /** The same bytes in a local file. */
  localCopy: string
  bytes: number
  messages: number
  /** A mount started after the write, with nothing of the topic in memory; the caller stops it. */
  fresh: MountedDir
}

export async function writeBigTopic ({ sizes, server, scratch, rss }: Bench): Promise<BigTopic> {
  const messages = sizes.statMessages
  const localCopy = path.join(scratch.local, 'stat-lines')
  await writeLines(localCopy, messages)
  const writer = await mount(server.url)
  await must(`cat ${localCopy} > ${writer.dir}/big`)
  await rss.stop(writer, 'the big topic\'s writer')
  const fresh = await mount(server.url)
  return { topic: `${fresh.dir}/big`, localCopy, bytes: messages * LINE_BYTES, messages, fresh }
}
