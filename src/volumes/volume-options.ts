import { flagName, MOUNT_OPTIONS, OptionDescriptor, takesValue } from '../commands/option-table'
import { fromFusePath } from '../topics/paths'
import { validateRoot } from '../topics/rooted-engine'

/**
 * What a volume is made of, from the `Name` and `Opts` of a VolumeDriver.Create request: the
 * store path it shows (`-o path=`, default its name) and the `dnpipes mount` flags of its other
 * options. Pure: checked here, so that a bad request changes nothing.
 */
export interface VolumeSpec {
  /** The directory of the store the volume's mount shows at its top (`--root`). */
  path: string
  /** The mount flags of the volume's options, in the order given. */
  mountArgs: string[]
}

/** The per-volume options: those mount options that make sense for one namespace's mount. */
const PER_VOLUME = ['uid', 'gid', 'umask', 'read-only', 'framing', 'otrunc', 'visibility-timeout', 'max-deliveries', 'retain-messages', 'retain-bytes', 'retain-seconds'] as const

const DESCRIPTORS = new Map<string, OptionDescriptor>(PER_VOLUME.map(name => {
  const descriptor = MOUNT_OPTIONS.find(option => flagName(option) === `--${name}`)
  if (!descriptor) throw new Error(`no mount option --${name}`)
  return [name, descriptor]
}))

/** Every option a volume takes, for the message that refuses another. */
export const VOLUME_OPTION_NAMES: readonly string[] = ['path', ...PER_VOLUME]

/** Docker's rule for volume names (and ours, as they name a directory of the state). */
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/

export function validateVolumeName (name: unknown): string {
  if (typeof name !== 'string' || !VOLUME_NAME.test(name)) {
    throw new Error(`invalid volume name ${JSON.stringify(name)}: letters, digits, '_', '.' and '-', starting with a letter or digit`)
  }
  return name
}

export function volumeSpec (name: string, opts: unknown): VolumeSpec {
  validateVolumeName(name)
  if (opts !== undefined && opts !== null && (typeof opts !== 'object' || Array.isArray(opts))) {
    throw new Error('Opts must be an object of option names and string values')
  }
  let path = name
  const mountArgs: string[] = []
  for (const [key, value] of Object.entries(opts ?? {})) {
    if (typeof value !== 'string') throw new Error(`option ${key}: expected a string, got ${JSON.stringify(value)}`)
    if (key === 'path') {
      path = fromFusePath(value)
      try {
        validateRoot(path)
      } catch (err) {
        throw new Error(`option path: ${(err as Error).message}`)
      }
      continue
    }
    const descriptor = DESCRIPTORS.get(key)
    if (!descriptor) throw new Error(`unknown option ${JSON.stringify(key)}; a dnpipes volume takes ${VOLUME_OPTION_NAMES.join(', ')}`)
    mountArgs.push(...argsOf(key, descriptor, value))
  }
  return { path, mountArgs }
}

/** The flag (and value) of `key=value`, checked as `dnpipes mount` would check it. */
function argsOf (key: string, descriptor: OptionDescriptor, value: string): string[] {
  const flag = flagName(descriptor)
  if (!takesValue(descriptor)) {
    if (value === 'true' || value === '') return [flag]
    if (value === 'false') return []
    throw new Error(`option ${key}: expected true or false, got ${JSON.stringify(value)}`)
  }
  if (descriptor.choices && !descriptor.choices.includes(value)) {
    throw new Error(`option ${key}: expected one of ${descriptor.choices.join(', ')}, got ${JSON.stringify(value)}`)
  }
  try {
    descriptor.parse?.(value)
  } catch (err) {
    throw new Error(`option ${key}: ${(err as Error).message}, got ${JSON.stringify(value)}`)
  }
  return [flag, value]
}
