import { promises as fs, statfsSync } from 'node:fs'
import path from 'node:path'
import tmp from 'tmp'
import { LINE_BYTES } from './sizes'
import { must } from './steps'
import { timed } from './stats'

/** statfs(2)'s f_type for tmpfs. */
const TMPFS_MAGIC = 0x01021994

export interface Scratch {
  /** A tmpfs directory when /dev/shm is one: sources, and the local baselines. */
  local: string
  localName: string
}

export function makeScratch (): { scratch: Scratch, remove: () => void } {
  const onTmpfs = statfsSync('/dev/shm', { bigint: false }).type === TMPFS_MAGIC
  const dir = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-bench-', tmpdir: onTmpfs ? '/dev/shm' : undefined })
  return { scratch: { local: dir.name, localName: onTmpfs ? 'tmpfs file' : 'local file' }, remove: dir.removeCallback }
}

/** `count` numbered lines of LINE_BYTES each. */
export async function writeLines (file: string, count: number): Promise<void> {
  const line = (i: number): string => String(i).padStart(LINE_BYTES - 1, '0') + '\n'
  const parts: string[] = []
  for (let i = 0; i < count; i++) parts.push(line(i))
  await fs.writeFile(file, parts.join(''))
}

/** Time to pass `source` through a named pipe to a reader that discards it. */
export async function throughFifo (scratch: Scratch, source: string, run: number): Promise<number> {
  const fifo = path.join(scratch.local, `fifo-${run}`)
  await must(`mkfifo ${fifo}`)
  try {
    return await timed(() => must(`cat ${fifo} > /dev/null & cat ${source} > ${fifo}; wait`))
  } finally {
    await fs.rm(fifo, { force: true })
  }
}
