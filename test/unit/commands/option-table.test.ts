import { execFile } from 'node:child_process'
import path from 'node:path'
import { Command, Option } from 'commander'
import t from 'tap'
import { commanderOption, flagName, MOUNT_OPTIONS, OptionDescriptor, takesValue, TARGET_OPTIONS } from '../../../src/commands/option-table'
import type { TargetOptions } from '../../../src/commands/target'
import { DEFAULTS, MountSettings } from '../../../src/options'

const ALL: readonly OptionDescriptor[] = [...TARGET_OPTIONS, ...MOUNT_OPTIONS]
const CLI = path.join(__dirname, '..', '..', '..', 'src', 'cli.js')

// The option names the commands read (commander's camelCase of each flag); each record must name
// every key of its type, so that a field added there without a flag here fails to compile.
const TARGET_KEYS: Record<keyof TargetOptions | 'prefix', true> = {
  redis: true, dataDir: true, cluster: true, sentinels: true, sentinelName: true, tlsCa: true, tlsCert: true, tlsKey: true, redisPasswordFile: true, prefix: true
}
const MOUNT_KEYS: Record<Exclude<keyof MountSettings, 'prefix'>, true> = {
  framing: true, otrunc: true, allowOther: true, readOnly: true, opTimeout: true, waitReplicas: true, debug: true, metrics: true, uid: true, gid: true, umask: true, visibilityTimeout: true, maxDeliveries: true, retainMessages: true, retainBytes: true, retainSeconds: true, root: true
}

t.test('flagName and takesValue', async t => {
  const of = (flag: string): OptionDescriptor => ({ flag, description: '' })
  t.equal(flagName(of('--op-timeout <ms>')), '--op-timeout')
  t.equal(flagName(of('--metrics <[host:]port>')), '--metrics')
  t.equal(flagName(of('--debug')), '--debug')
  t.equal(takesValue(of('--op-timeout <ms>')), true)
  t.equal(takesValue(of('--cluster <host:port,...>')), true)
  t.equal(takesValue(of('--read-only')), false)
})

t.test('every descriptor makes the commander option it describes', async t => {
  for (const descriptor of ALL) {
    const option = commanderOption(descriptor)
    t.type(option, Option, descriptor.flag)
    t.equal(option.long, flagName(descriptor), `${descriptor.flag}: long name`)
    t.equal(option.short, undefined, `${descriptor.flag}: no short name`)
    t.equal(option.description, descriptor.description)
    t.ok(descriptor.description.length > 0, `${descriptor.flag}: described`)
    t.equal(option.required, takesValue(descriptor), `${descriptor.flag}: a value is required exactly when it has a placeholder`)
    t.equal(option.isBoolean(), !takesValue(descriptor))
    t.same(option.defaultValue, descriptor.default, `${descriptor.flag}: default`)
    t.same(option.argChoices, descriptor.choices, `${descriptor.flag}: choices`)
    if (descriptor.default !== undefined && !takesValue(descriptor)) t.equal(descriptor.default, false, `${descriptor.flag}: a switch is off by default`)
    if (descriptor.choices && descriptor.default !== undefined) t.ok(descriptor.choices.includes(String(descriptor.default)), `${descriptor.flag}: the default is a choice`)
  }
})

t.test('flags and fstab names are unique; fstab names are plain words', async t => {
  const flags = ALL.map(flagName)
  t.equal(new Set(flags).size, flags.length, 'flags')
  const fstab = ALL.flatMap(d => d.fstab === undefined ? [] : [d.fstab])
  t.equal(new Set(fstab).size, fstab.length, 'fstab names')
  for (const name of fstab) t.match(name, /^[a-z][a-z_]*$/, `fstab name ${name}`)
  t.same(ALL.filter(d => d.fstab === undefined).map(flagName), ['--redis'], 'only --redis has no fstab name: the source is the URL')
  t.equal(new Set(ALL.map(d => commanderOption(d).attributeName())).size, ALL.length, 'attribute names')
})

t.test('the options are the ones the commands read', async t => {
  t.same(TARGET_OPTIONS.map(d => commanderOption(d).attributeName()).sort(), Object.keys(TARGET_KEYS).sort())
  t.same(MOUNT_OPTIONS.map(d => commanderOption(d).attributeName()).sort(), Object.keys(MOUNT_KEYS).sort())
})

t.test('defaults come from DEFAULTS', async t => {
  const defaultOf = (flag: string): unknown => ALL.find(d => flagName(d) === flag)?.default
  t.equal(defaultOf('--prefix'), DEFAULTS.keys.prefix)
  t.equal(defaultOf('--framing'), DEFAULTS.files.framing)
  t.equal(defaultOf('--otrunc'), DEFAULTS.files.otrunc)
  t.equal(defaultOf('--allow-other'), DEFAULTS.files.allowOther)
  t.equal(defaultOf('--read-only'), DEFAULTS.files.readOnly)
  t.equal(defaultOf('--op-timeout'), DEFAULTS.redis.opTimeout)
  t.equal(defaultOf('--wait-replicas'), DEFAULTS.redis.waitReplicas)
  t.equal(defaultOf('--debug'), DEFAULTS.logging.debug)
})

/** Parses `args` with commander as `dnpipes mount` would; throws commander's error. */
function parse (args: string[]): Record<string, unknown> {
  const command = new Command().exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
  for (const descriptor of ALL) command.addOption(commanderOption(descriptor))
  return command.parse(args, { from: 'user' }).opts()
}

t.test('parsed values: numbers checked, choices enforced, defaults filled in', async t => {
  const defaults = parse([])
  t.same(defaults, { prefix: 'dnpipes:', framing: 'line', otrunc: 'ignore', allowOther: false, readOnly: false, opTimeout: 5000, waitReplicas: 0, debug: false, umask: 0o022, visibilityTimeout: 30, maxDeliveries: 5 })
  const given = parse(['--op-timeout', '250', '--wait-replicas', '0', '--framing', 'write', '--read-only', '--metrics', '9464', '--cluster', 'a:1,b:2'])
  t.equal(given.opTimeout, 250)
  t.equal(given.waitReplicas, 0)
  t.equal(given.framing, 'write')
  t.equal(given.readOnly, true)
  t.equal(given.metrics, '9464')
  t.equal(given.cluster, 'a:1,b:2')
  t.equal(parse(['--wait-replicas', '3']).waitReplicas, 3)
  for (const bad of ['0', '-1', '1.5', 'abc', '']) {
    t.throws(() => parse(['--op-timeout', bad]), { code: 'commander.invalidArgument' }, `--op-timeout ${JSON.stringify(bad)}`)
  }
  for (const bad of ['-1', '0.5', 'two']) {
    t.throws(() => parse(['--wait-replicas', bad]), { code: 'commander.invalidArgument' }, `--wait-replicas ${bad}`)
  }
  t.equal(parse(['--visibility-timeout', '0.5']).visibilityTimeout, 0.5)
  t.equal(parse(['--max-deliveries', '1']).maxDeliveries, 1)
  for (const bad of ['0', '-2', 'soon', '']) {
    t.throws(() => parse(['--visibility-timeout', bad]), { code: 'commander.invalidArgument' }, `--visibility-timeout ${JSON.stringify(bad)}`)
  }
  for (const bad of ['0', '1.5']) {
    t.throws(() => parse(['--max-deliveries', bad]), { code: 'commander.invalidArgument' }, `--max-deliveries ${bad}`)
  }
  t.equal(parse(['--umask', '0002']).umask, 0o002)
  t.equal(parse(['--umask', '77']).umask, 0o077)
  t.same([parse(['--uid', '1000', '--gid', '0']).uid, parse(['--gid', '0']).gid], [1000, 0])
  for (const bad of ['8', '0o22', 'rw', '12345', '']) {
    t.throws(() => parse(['--umask', bad]), { code: 'commander.invalidArgument' }, `--umask ${JSON.stringify(bad)}`)
  }
  t.throws(() => parse(['--uid', 'nobody']), { code: 'commander.invalidArgument' }, 'uids are numeric')
  t.throws(() => parse(['--framing', 'bytes']), { code: 'commander.invalidArgument' })
  t.throws(() => parse(['--otrunc', 'truncate']), { code: 'commander.invalidArgument' })
  t.throws(() => parse(['--op-timeout']), { code: 'commander.optionMissingArgument' })
})

t.test('`dnpipes mount --help` lists every target and mount flag', async t => {
  const help = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [CLI, 'mount', '--help'], { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`))
      else resolve(stdout)
    })
  })
  t.match(help, /^Usage: dnpipes mount \[options\] <mountpoint>/)
  for (const descriptor of ALL) {
    // The flag as commander prints it, at the start of its line of the options list.
    const escaped = descriptor.flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    t.match(help, new RegExp(`^ +${escaped}( |$)`, 'm'), `${descriptor.flag} is listed`)
  }
})
