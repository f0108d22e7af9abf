import { InvalidArgumentError, Option } from 'commander'
import { FRAMINGS } from '../framing/message'
import { DEFAULTS, MOUNT_DEFAULTS } from '../options'
import { delayMsOf, MAX_DELAY_SECONDS } from '../topics/schedule'
import { parseLimit, RetentionKind } from '../topics/rules/retention'

/**
 * The options of the commands, one descriptor each: the commander flag, its fstab `-o` name
 * (mount.fuse, /etc/fstab) and its default come from here and nowhere else.
 */
export interface OptionDescriptor {
  /** The commander flag, with its value placeholder: '--op-timeout <ms>'. */
  flag: string
  description: string
  /** The `-o` name in an fstab line; none for options fstab does not take. */
  fstab?: string
  default?: string | number | boolean
  /** How --help shows the default, when not as the value itself: '022' for a mask. */
  defaultText?: string
  choices?: readonly string[]
  parse?: (value: string) => number
}

function nonNegativeInteger (value: string): number {
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number')
  return parsed
}

export function positiveInteger (value: string): number {
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError('expected a positive whole number')
  return parsed
}

/** A delay in seconds (0 to a week, fractions allowed), in ms; see topics/schedule.ts. */
export function delaySeconds (value: string): number {
  const ms = delayMsOf(value.trim())
  if (ms === undefined) throw new InvalidArgumentError(`expected a number of seconds from 0 to ${MAX_DELAY_SECONDS}`)
  return ms
}

export function positiveSeconds (value: string): number {
  const parsed = Number(value)
  if (!Number.isFinite(parsed) || parsed <= 0 || value.trim() === '') throw new InvalidArgumentError('expected a positive number of seconds')
  return parsed
}

/** A commander parser of a retention limit (see parseLimit). */
export function limitOf (kind: RetentionKind): (value: string) => number {
  return value => {
    try {
      return parseLimit(kind, value)
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message)
    }
  }
}

function octalMask (value: string): number {
  if (!/^[0-7]{1,4}$/.test(value)) throw new InvalidArgumentError('expected an octal mask such as 022 or 0002')
  return parseInt(value, 8) & 0o777
}

/** How to reach Redis: the same for every command. */
export const TARGET_OPTIONS: readonly OptionDescriptor[] = [
  { flag: '--redis <url>', description: 'Redis URL, redis://[user:password@]host:port[/db] or rediss:// (TLS); default: $DNPIPES_REDIS_URL, else the embedded local server' },
  { flag: '--redis-password-file <file>', fstab: 'redis_password_file', description: 'read the password from a file (keeps it out of the process list)' },
  { flag: '--cluster <host:port,...>', fstab: 'cluster', description: 'seed nodes of a Redis Cluster (credentials and TLS from --redis/$DNPIPES_REDIS_URL if given)' },
  { flag: '--sentinels <host:port,...>', fstab: 'sentinels', description: 'Redis Sentinels to ask for the master (credentials and TLS from --redis/$DNPIPES_REDIS_URL if given)' },
  { flag: '--sentinel-name <name>', fstab: 'sentinel_name', description: 'the master group name the Sentinels watch' },
  { flag: '--tls-ca <file>', fstab: 'tls_ca', description: 'CA certificate(s) to trust for TLS (PEM)' },
  { flag: '--tls-cert <file>', fstab: 'tls_cert', description: 'client certificate for TLS (PEM)' },
  { flag: '--tls-key <file>', fstab: 'tls_key', description: 'client key for TLS (PEM)' },
  { flag: '--data-dir <dir>', fstab: 'data_dir', description: 'data directory of the embedded Redis (default: $XDG_STATE_HOME/dnpipes or ~/.local/state/dnpipes)' },
  { flag: '--prefix <prefix>', fstab: 'prefix', description: 'prefix of every Redis key', default: MOUNT_DEFAULTS.prefix }
]

/** What only a mount takes. */
export const MOUNT_OPTIONS: readonly OptionDescriptor[] = [
  { flag: '--framing <mode>', fstab: 'framing', description: 'line: one message per line; write: one message per write(2)', choices: FRAMINGS, default: MOUNT_DEFAULTS.framing },
  { flag: '--otrunc <mode>', fstab: 'otrunc', description: 'what open(O_TRUNC), as in `echo x > t`, does', choices: ['ignore', 'reset'], default: MOUNT_DEFAULTS.otrunc },
  { flag: '--allow-other', fstab: 'allow_other', description: 'let other users use the mount (needs user_allow_other in /etc/fuse.conf for non-root)', default: MOUNT_DEFAULTS.allowOther },
  { flag: '--uid <uid>', fstab: 'uid', description: 'owner (numeric uid) shown for every topic and directory; default: the daemon\'s uid', parse: nonNegativeInteger },
  { flag: '--gid <gid>', fstab: 'gid', description: 'group (numeric gid) shown for every topic and directory; default: the daemon\'s gid', parse: nonNegativeInteger },
  { flag: '--umask <mask>', fstab: 'umask', description: 'octal bits taken from 0666 (topics) and 0777 (directories); with --allow-other the kernel enforces the result', parse: octalMask, default: MOUNT_DEFAULTS.umask, defaultText: '022' },
  { flag: '--root <path>', fstab: 'root', description: 'show the directory PATH of the store (made if missing) at the top of the mount, with its own .follow/, .live/, .group/ and .delay/; nothing outside it can be reached' },
  { flag: '--read-only', fstab: 'ro', description: 'refuse every change with EROFS', default: MOUNT_DEFAULTS.readOnly },
  { flag: '--op-timeout <ms>', fstab: 'op_timeout', description: 'longest any file operation (and so any Redis command) waits for Redis before failing with EIO', parse: positiveInteger, default: MOUNT_DEFAULTS.opTimeout },
  { flag: '--wait-replicas <n>', fstab: 'wait_replicas', description: 'a write returns only once N replicas have it (WAIT), so a failover cannot lose it', parse: nonNegativeInteger, default: MOUNT_DEFAULTS.waitReplicas },
  { flag: '--visibility-timeout <seconds>', fstab: 'visibility_timeout', description: 'a consumer-group message (.group/ files, dnpipes work) whose reader stopped holding it without an acknowledgement goes to another reader after this long', parse: positiveSeconds, default: MOUNT_DEFAULTS.visibilityTimeout },
  { flag: '--max-deliveries <n>', fstab: 'max_deliveries', description: 'a consumer-group message handed out this often without an acknowledgement moves to TOPIC.dead', parse: positiveInteger, default: MOUNT_DEFAULTS.maxDeliveries },
  { flag: '--retain-messages <n>', fstab: 'retain_messages', description: 'topics without limits of their own keep only their newest N messages (applied at appends and stats through this mount)', parse: limitOf('messages') },
  { flag: '--retain-bytes <size>', fstab: 'retain_bytes', description: 'topics without limits of their own keep only their newest messages within SIZE rendered bytes (K, M, G, T: powers of 1024)', parse: limitOf('bytes') },
  { flag: '--retain-seconds <n>', fstab: 'retain_seconds', description: 'topics without limits of their own keep only messages younger than N seconds', parse: limitOf('seconds') },
  { flag: '--metrics <[host:]port>', fstab: 'metrics', description: 'serve Prometheus metrics at http://HOST:PORT/metrics (host default 127.0.0.1)' },
  { flag: '--debug', fstab: 'debug', description: 'log every operation (same as DEBUG=dnpipes:*)', default: MOUNT_DEFAULTS.debug }
]

/** The commander option a descriptor stands for. */
export function commanderOption (descriptor: OptionDescriptor): Option {
  const option = new Option(descriptor.flag, descriptor.description)
  if (descriptor.choices) option.choices(descriptor.choices)
  if (descriptor.parse) option.argParser(descriptor.parse)
  if (descriptor.default !== undefined) option.default(descriptor.default, descriptor.defaultText)
  return option
}

/** The long flag alone: '--op-timeout <ms>' -> '--op-timeout'. */
export function flagName (descriptor: OptionDescriptor): string {
  return descriptor.flag.split(' ')[0]!
}

/** Whether the flag takes a value (it has a placeholder). */
export function takesValue (descriptor: OptionDescriptor): boolean {
  return descriptor.flag.includes(' ')
}

/**
 * --concurrency, the retry options, and the group options of a mount: a worker and a `.group/`
 * file are readers alike.
 */
export const WORK_OPTIONS: readonly OptionDescriptor[] = [
  {
    flag: '--concurrency <n>',
    description: 'commands run at once, each with a message of its own',
    default: 1,
    parse: positiveInteger
  },
  ...MOUNT_OPTIONS.filter(descriptor => ['--visibility-timeout', '--max-deliveries'].includes(flagName(descriptor))),
  {
    flag: '--retry-delay <seconds>',
    description: 'a message whose command failed is handed out again this long after the failure (default: the visibility timeout)',
    parse: positiveSeconds
  },
  {
    flag: '--retry-backoff',
    description: 'the retry delay doubles with each delivery of the message, up to --retry-delay-max',
    default: DEFAULTS.retries.retryBackoff
  },
  {
    flag: '--retry-delay-max <seconds>',
    description: `longest retry delay with --retry-backoff (default: ${DEFAULTS.retries.retryDelayMax}, or the retry delay when longer)`,
    parse: positiveSeconds
  }
]

/**
 * Where `dnpipes volume-driver` serves (where Docker looks for plugins' sockets; Podman is told
 * in containers.conf), and keeps its state, unless told otherwise.
 */
export const VOLUME_DRIVER_DEFAULTS = { socket: '/run/docker/plugins/dnpipes.sock', stateDir: '/var/lib/dnpipes/volumes' } as const
