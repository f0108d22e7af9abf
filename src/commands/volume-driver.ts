import { promises as fs } from 'node:fs'
import path from 'node:path'
import { servePlugin } from '../volumes/plugin-server'
import { VolumeDriver } from '../volumes/volume-driver'
import { VolumeMounts } from '../volumes/volume-mounts'
import { VolumeState } from '../volumes/volume-state'
import type { VolumeRecord } from '../volumes/volume-state'
import { parseIdFile } from './long-listing'
import { flagName, TARGET_OPTIONS, takesValue } from './option-table'
import type { TargetOptions } from './target'


/** The command line, beside this module once built (dist/src/cli.js). */
const CLI = path.join(__dirname, '..', 'cli.js')

export interface VolumeDriverOptions extends TargetOptions {
  prefix: string
  socket: string
  stateDir: string
  /** A group (name or number) whose members may use the socket. */
  socketGroup?: string
}

/** Serves the volume plugin protocol until SIGINT/SIGTERM; the mounts of volumes in use stay. */
export async function volumeDriverCommand (options: VolumeDriverOptions): Promise<void> {
  const state = await VolumeState.open(options.stateDir)
  const mounts = new VolumeMounts(options.stateDir)
  const driver = new VolumeDriver(state, mounts, record => serverCommand(record, options))
  const gid = options.socketGroup === undefined ? undefined : await groupId(options.socketGroup)
  const server = await servePlugin(options.socket, driver, { gid })
  console.log(`dnpipes: volume driver on ${options.socket} (state in ${options.stateDir}, ${state.all().length} volume(s))`)
  const reason = await new Promise<string>(resolve => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => resolve(signal))
  })
  await server.close()
  console.log(`dnpipes: volume driver stopped (${reason}); volumes in use stay mounted`)
}

/**
 * `dnpipes mount` of the volume's namespace, on the driver's Redis target: the URL through the
 * environment, so that a password in it never shows in the process list. `--allow-other`: the
 * container's users are not the daemon's, and the kernel then checks the modes for them.
 */
function serverCommand (record: VolumeRecord, options: VolumeDriverOptions): (mountpoint: string) => { file: string, args: string[], env: NodeJS.ProcessEnv } {
  return mountpoint => ({
    file: process.execPath,
    args: [CLI, 'mount', mountpoint, '--root', record.path, '--allow-other', ...record.mountArgs, ...targetArgs(options)],
    env: options.redis === undefined ? process.env : { ...process.env, DNPIPES_REDIS_URL: options.redis }
  })
}

/**
 * The driver's target options but --redis, as flags of `dnpipes mount`; files and directories
 * made absolute, as a server started later may not share the driver's working directory.
 */
export function targetArgs (options: TargetOptions & { prefix: string }): string[] {
  const args: string[] = []
  for (const descriptor of TARGET_OPTIONS) {
    const flag = flagName(descriptor)
    if (flag === '--redis') continue
    const value = (options as unknown as Record<string, unknown>)[camelCase(flag)]
    if (value === undefined || value === false) continue
    if (!takesValue(descriptor)) {
      args.push(flag)
      continue
    }
    const names = /<(file|dir)>$/.test(descriptor.flag)
    args.push(flag, names ? path.resolve(String(value)) : String(value))
  }
  return args
}

/** commander's name of a flag's value: '--redis-password-file' -> 'redisPasswordFile'. */
function camelCase (flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase())
}

/** A group's number, from a number or a name in /etc/group. */
async function groupId (group: string): Promise<number> {
  if (/^\d+$/.test(group)) return Number(group)
  for (const [id, name] of parseIdFile(await fs.readFile('/etc/group', 'utf8'))) {
    if (name === group) return id
  }
  throw new Error(`no group named ${group}`)
}
