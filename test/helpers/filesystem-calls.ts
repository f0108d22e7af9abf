import { constants } from 'node:fs'
import type { Framing } from '../../src/framing/message'
import { DnpipesFilesystem, FilesystemOptions } from '../../src/mount/filesystem'
import type { OTruncMode } from '../../src/options'
import type { TopicEngine } from '../../src/topics/engine'
import { MemoryEngine } from '../../src/topics/memory/memory-engine'

/** A filesystem over `engine` (a fresh memory engine by default), line framing, O_TRUNC ignored. */
export function filesystem (options: Partial<FilesystemOptions> & { framing?: Framing, otrunc?: OTruncMode } = {}, engine: TopicEngine = new MemoryEngine()): DnpipesFilesystem {
  return new DnpipesFilesystem(engine, { framing: 'line', otrunc: 'ignore', readOnly: false, ...options })
}

/** Creates `fusePath` with `text` written and the file closed, as `printf text > path` does. */
export async function put (fs: DnpipesFilesystem, fusePath: string, text: string): Promise<void> {
  const handle = await fs.create(fusePath)
  if (text !== '') await fs.write(fusePath, handle, Buffer.from(text))
  await fs.release(fusePath, handle)
}

/** What `cat` gets from the filesystem without FUSE: reads of 4096 bytes until one comes back empty. */
export async function cat (fs: DnpipesFilesystem, fusePath: string): Promise<string> {
  const handle = await fs.open(fusePath, constants.O_RDONLY)
  const parts: Buffer[] = []
  for (let offset = 0; ;) {
    const chunk = await fs.read(fusePath, handle, 4096, offset)
    if (chunk.length === 0) break
    parts.push(chunk)
    offset += chunk.length
  }
  await fs.release(fusePath, handle)
  return Buffer.concat(parts).toString()
}
