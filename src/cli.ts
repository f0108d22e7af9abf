#!/usr/bin/env node
import './util/memory-footprint'
import createDebug from 'debug'
import { Command, Option } from 'commander'
import { fstabMount, parseFstabArgs } from './commands/fstab'
import { commanderOption, delaySeconds, limitOf, OptionDescriptor, MOUNT_OPTIONS, TARGET_OPTIONS, VOLUME_DRIVER_DEFAULTS, WORK_OPTIONS } from './commands/option-table'
import { FRAMINGS } from './framing/message'
import { DEFAULTS } from './options'
import { redactUrl } from './util/redact-url'

// Each command's module is loaded when the command runs: the mount process, which outlives
// every server it starts, then holds no Redis client, metrics or topic code it never uses.

/** Prints one clear line; the stack only when debugging. Exit code 1: the operation failed. */
function fatal (err: unknown): never {
  const error = err instanceof Error ? err : new Error(String(err))
  console.error(`dnpipes: ${error.message}`)
  if (createDebug.enabled('dnpipes:cli') && error.stack) console.error(error.stack)
  process.exit(1)
}

function withOptions (command: Command, descriptors: readonly OptionDescriptor[]): Command {
  for (const descriptor of descriptors) command.addOption(commanderOption(descriptor))
  return command
}

/** The target options and --prefix: the same Redis and keys for every command. */
function withRedisOptions (command: Command): Command {
  return withOptions(command, TARGET_OPTIONS)
}

// A password given on the command line shows in `ps`: show a redacted command line instead.
if (process.argv.some(arg => /^rediss?:\/\/[^/@]*:[^/@]*@/.test(arg))) {
  process.title = ['dnpipes', ...process.argv.slice(2).map(arg => /^rediss?:\/\//.test(arg) ? redactUrl(arg) : arg)].join(' ')
}

/** Runs a command's promise; a closed stdout (`| head`) is a normal end, not an error. */
function act (work: () => Promise<void>): Promise<void> {
  return work().then(() => process.exit(0), err => {
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') process.exit(0)
    fatal(err)
  })
}

process.stdout.on('error', err => {
  if ((err as NodeJS.ErrnoException).code === 'EPIPE') process.exit(0)
})

const program = new Command()
program
  .name('dnpipes')
  .description('Distributed named pipes as ordinary files: every file is a Redis Streams topic.')
  .version(require('../../package.json').version)
  .showHelpAfterError()
  .exitOverride(err => process.exit(err.exitCode === 0 ? 0 : 2))

withOptions(withRedisOptions(program.command('mount')
  .description('mount the filesystem and serve it in the foreground until SIGINT/SIGTERM')
  .argument('<mountpoint>', 'directory to mount on (created if missing)')), MOUNT_OPTIONS)
  .addHelpText('after', '\nExample:\n  dnpipes mount /mnt/dnpipes --redis redis://10.0.0.5:6379\n  echo hello >> /mnt/dnpipes/jobs; cat /mnt/dnpipes/jobs')
  .action((mountpoint: string, options) => act(() => {
    if (options.debug) createDebug.enable('dnpipes:*')
    return import('./commands/mount').then(({ mountCommand }) => mountCommand(mountpoint, options))
  }))

program.command('unmount')
  .alias('umount')
  .description('unmount a dnpipes filesystem; its daemon exits')
  .argument('<mountpoint>', 'the mounted directory')
  .option('--lazy', 'detach now even if files are open (fusermount -uz)', false)
  .addHelpText('after', '\nExample:\n  dnpipes unmount /mnt/dnpipes')
  .action((mountpoint: string, options: { lazy: boolean }) => act(async () => await (await import('./mount/lifecycle')).unmountFilesystem(mountpoint, options.lazy)))

withRedisOptions(program.command('doctor')
  .description('check /dev/fuse, fusermount3, libfuse3, the FUSE addon, the Redis target and what its user may run, and say how to fix what is missing'))
  .addHelpText('after', '\nExample:\n  dnpipes doctor --redis redis://10.0.0.5:6379')
  .action(options => import('./commands/doctor').then(({ doctorCommand }) => doctorCommand(options)).then(ok => process.exit(ok ? 0 : 1), fatal))

const framingOption = (): Option =>
  new Option('--framing <mode>', 'line: one message per line of stdin; write: one message per chunk read').choices(FRAMINGS).default(DEFAULTS.files.framing)

withRedisOptions(program.command('push')
  .description('push(TOPIC, MSG): the words as one message, or stdin (one message per line); creates the topic, and missing directories as mkdir -p would')
  .argument('<topic>', 'topic path, as under the mount: team/a/orders')
  .argument('[message...]', 'the message; stdin when absent'))
  .addOption(framingOption())
  .option('--delay <seconds>', 'the messages enter the topic this much later (fractions allowed), in due order, invisible until then', delaySeconds)
  .addHelpText('after', '\nExamples:\n  dnpipes push jobs "build 42"\n  dnpipes push --delay 30 jobs "retry 42"\n  journalctl -f | dnpipes push logs/host1')
  .action((topic: string, words: string[], options) => act(async () => await (await import('./commands/topic-commands')).pushCommand(topic, words, options)))

withRedisOptions(program.command('pull')
  .description('MSG <- pull(TOPIC): replay every message to stdout, then exit (never removes)')
  .argument('<topic>', 'topic path'))
  .option('--follow', 'after the replay, keep delivering new messages (like .follow/)', false)
  .option('--live', 'deliver only messages pushed from now on (like .live/)', false)
  .addHelpText('after', '\nExamples:\n  dnpipes pull jobs\n  dnpipes pull jobs --follow | while read job; do echo "$job"; done')
  .action((topic: string, options) => act(async () => await (await import('./commands/topic-commands')).pullCommand(topic, options)))

withRedisOptions(program.command('reset')
  .description('reset(TOPIC): delete every message; the topic stays')
  .argument('<topic>', 'topic path'))
  .addHelpText('after', '\nExample:\n  dnpipes reset jobs')
  .action((topic: string, options) => act(async () => await (await import('./commands/topic-commands')).resetCommand(topic, options)))

withRedisOptions(program.command('ls')
  .description('list the topics and directories (ending in /) of a directory; -l as ls -l shows them on a mount')
  .argument('[dir]', 'directory path (or a topic); the root when absent'))
  .option('-l, --long', 'one line each: mode, links, owner, group, size, time of the newest message, name', false)
  .addHelpText('after', '\nExamples:\n  dnpipes ls team/a\n  dnpipes ls -l')
  .action((dir: string | undefined, options) => act(async () => await (await import('./commands/namespace-commands')).lsCommand(dir, options)))

withRedisOptions(program.command('mkdir')
  .description('make directories (namespaces), as mkdir(1) on a mount')
  .argument('<dir...>', 'directory paths'))
  .option('-p, --parents', 'make missing parents too; an existing directory is no error', false)
  .addHelpText('after', '\nExample:\n  dnpipes mkdir -p team/a')
  .action((dirs: string[], options) => act(async () => await (await import('./commands/namespace-commands')).mkdirCommand(dirs, options)))

withRedisOptions(program.command('rm')
  .description('remove topics (and their messages); directories with -r, as rm(1) on a mount')
  .argument('<path...>', 'topic or directory paths'))
  .option('-r, --recursive', 'remove directories and everything under them', false)
  .option('-f, --force', 'say nothing of paths that do not exist', false)
  .addHelpText('after', '\nExamples:\n  dnpipes rm jobs\n  dnpipes rm -r team/a')
  .action((paths: string[], options) => act(async () => await (await import('./commands/namespace-commands')).rmCommand(paths, options)))

withRedisOptions(program.command('mv')
  .description('rename a topic or directory; into TO when TO is a directory, as mv(1)')
  .argument('<from>', 'topic or directory path')
  .argument('<to>', 'new path, or an existing directory to move into'))
  .addHelpText('after', '\nExamples:\n  dnpipes mv jobs jobs.old\n  dnpipes mv team/a archive/')
  .action((from: string, to: string, options) => act(async () => await (await import('./commands/namespace-commands')).mvCommand(from, to, options)))

withRedisOptions(program.command('stat')
  .description('show a topic: its Redis key, entries, bytes, first and last ids, time of the last message')
  .argument('<topic>', 'topic path'))
  .option('--json', 'one JSON object: topic, key, entries, bytes, firstId, lastId, mtime', false)
  .addHelpText('after', '\nExample:\n  dnpipes stat jobs --json')
  .action((topic: string, options) => act(async () => await (await import('./commands/topic-commands')).statCommand(topic, options)))

withRedisOptions(program.command('retain')
  .description('set or lift the retention limits of TOPIC (as setfattr user.dnpipes.retain-* on a mount), trim it to them, and print them; without options, print them')
  .argument('<topic>', 'topic path'))
  .addOption(new Option('--messages <n>', 'keep only the newest N messages').argParser(limitOf('messages')))
  .addOption(new Option('--bytes <size>', 'keep only the newest messages within SIZE rendered bytes (K, M, G, T: powers of 1024)').argParser(limitOf('bytes')))
  .addOption(new Option('--seconds <n>', 'keep only messages younger than N seconds').argParser(limitOf('seconds')))
  .option('--none', 'lift every limit (with other options: lift the others)', false)
  .addHelpText('after', '\nExamples:\n  dnpipes retain jobs --messages 100000 --seconds 86400\n  dnpipes retain jobs --none')
  .action((topic: string, options) => act(async () => await (await import('./commands/retain-command')).retainCommand(topic, options)))

withOptions(withRedisOptions(program.command('work')
  .description('run COMMAND once per message of consumer group GROUP of TOPIC, the message on its stdin ($DNPIPES_MESSAGE_ID, $DNPIPES_DELIVERY): exit 0 acknowledges it, any other exit hands it out again after --retry-delay (default: the visibility timeout); SIGINT/SIGTERM stops taking messages and waits for the running commands, a second one kills them')
  .argument('<group>', 'consumer group: the workers of a group share its messages (a mount\'s .group/GROUP/TOPIC readers too)')
  .argument('<topic>', 'topic path')
  .argument('<command...>', 'the command and its arguments, after --')), WORK_OPTIONS)
  .addHelpText('after', '\nExamples:\n  dnpipes work builders jobs -- sh -c \'make "$(cat)"\'\n  dnpipes work resize images --concurrency 4 --visibility-timeout 120 -- ./resize.sh\n  dnpipes work mailers mails --retry-delay 5 --retry-backoff --retry-delay-max 600 -- ./send.sh')
  .action((group: string, topic: string, command: string[], options) => import('./commands/work').then(({ workCommand }) => workCommand(group, topic, command, options)).then(code => process.exit(code), fatal))

withRedisOptions(program.command('volume-driver')
  .description('serve Docker\'s volume plugin protocol (Podman\'s too): each volume is one namespace of the store, mounted for the containers that use it')
  .option('--socket <path>', 'the unix socket to serve on', VOLUME_DRIVER_DEFAULTS.socket)
  .option('--state-dir <dir>', 'where the volumes, the containers using them and their mounts are kept', VOLUME_DRIVER_DEFAULTS.stateDir)
  .option('--socket-group <group>', 'a group whose members may use the socket too (mode 0660); root alone otherwise'))
  .addHelpText('after', '\nExamples:\n  dnpipes volume-driver --redis redis://10.0.0.5:6379\n  docker volume create --driver dnpipes -o path=team/a jobs\n  docker run -v jobs:/pipes busybox sh -c \'echo hi >> /pipes/events\'')
  .action(options => act(async () => await (await import('./commands/volume-driver')).volumeDriverCommand(options)))

// mount.fuse and /etc/fstab run `dnpipes SOURCE MOUNTPOINT -o OPTIONS` (see src/commands/fstab.ts).
let fstab
try {
  fstab = parseFstabArgs(process.argv.slice(2))
} catch (err) {
  console.error(`dnpipes: ${(err as Error).message}`)
  process.exit(2)
}
if (fstab) fstabMount(fstab, __filename).then(() => process.exit(0), fatal)
else program.parseAsync(process.argv).catch(fatal)
