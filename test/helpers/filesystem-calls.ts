import { constants } from 'node:fs'
import type { DnpipesFilesystem } from '../../src/mount/filesystem'

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
