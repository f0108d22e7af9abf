import path from 'node:path'
import { fuseMountOptions, prepareMountpoint } from '../mount/lifecycle'
import { deriveSettings } from '../options'
import { serverHandover } from '../restart/handover'
import { superviseMount } from '../restart/supervisor'
import type { MountCommandOptions } from './serve'

export type { MountCommandOptions } from './serve'

/**
 * `dnpipes mount`: mounts, and runs in the foreground until SIGINT, SIGTERM or an unmount from
 * outside, while a server process of its own serves the mount (restart/supervisor.ts); started
 * as that server, serves.
 */
export async function mountCommand (mountpoint: string, options: MountCommandOptions): Promise<void> {
  const handover = serverHandover()
  // Only a server loads what serving needs (Redis, topics, metrics): see cli.ts.
  if (handover) return (await import('./serve')).serveCommand(path.resolve(mountpoint), options, handover)
  deriveSettings(options) // refuses bad values before anything is mounted
  const mnt = path.resolve(mountpoint)
  try {
    await prepareMountpoint(mnt)
  } catch (err) {
    throw new Error(`cannot mount ${mnt}: ${(err as Error).message}`)
  }
  const code = await superviseMount({
    mountpoint: mnt,
    mountOptions: fuseMountOptions(options),
    serverArgs: process.argv.slice(1)
  }).catch(err => { throw new Error(`cannot mount ${mnt}: ${(err as Error).message}`) })
  if (code !== 0) process.exit(code)
}
