#!/usr/bin/env node
import createDebug from 'debug'
import { Command, InvalidArgumentError, Option } from 'commander'
import { mountCommand } from './commands/mount'
import { FRAMINGS } from './framing/message'
import { unmountFilesystem } from './mount/lifecycle'
import { DEFAULT_PREFIX } from './topics/keys'

/** Prints one clear line; the stack only when debugging. Exit code 1: the operation failed. */
function fatal (err: unknown): never {
  const error = err instanceof Error ? err : new Error(String(err))
  console.error(`dnpipes: ${error.message}`)
  if (createDebug.enabled('dnpipes:cli') && error.stack) console.error(error.stack)
  process.exit(1)
}

function positiveInteger (value: string): number {
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError('expected a positive whole number')
  return parsed
}

const program = new Command()
program
  .name('dnpipes')
  .description('Distributed named pipes as ordinary files: every file is a Redis Streams topic.')
  .version(require('../../package.json').version)
  .showHelpAfterError()
  .exitOverride(err => process.exit(err.exitCode === 0 ? 0 : 2))

program.command('mount')
  .description('mount the filesystem and serve it in the foreground until SIGINT/SIGTERM')
  .argument('<mountpoint>', 'directory to mount on (created if missing)')
  .option('--redis <url>', 'Redis URL (redis://, rediss://); default: $DNPIPES_REDIS_URL, else the embedded local server')
  .option('--data-dir <dir>', 'data directory of the embedded Redis (default: $XDG_STATE_HOME/dnpipes or ~/.local/state/dnpipes)')
  .option('--prefix <prefix>', 'prefix of every Redis key', DEFAULT_PREFIX)
  .addOption(new Option('--framing <mode>', 'line: one message per line; write: one message per write(2)').choices(FRAMINGS).default('line'))
  .addOption(new Option('--otrunc <mode>', 'what open(O_TRUNC), as in `echo x > t`, does').choices(['ignore', 'reset']).default('ignore'))
  .option('--allow-other', 'let other users use the mount (needs user_allow_other in /etc/fuse.conf for non-root)', false)
  .option('--read-only', 'refuse every change with EROFS', false)
  .option('--op-timeout <ms>', 'longest any file operation waits for Redis before failing with EIO', positiveInteger, 5000)
  .option('--debug', 'log every operation (same as DEBUG=dnpipes:*)', false)
  .addHelpText('after', '\nExample:\n  dnpipes mount /mnt/dnpipes --redis redis://10.0.0.5:6379\n  echo hello >> /mnt/dnpipes/jobs; cat /mnt/dnpipes/jobs')
  .action(async (mountpoint: string, options) => {
    if (options.debug) createDebug.enable('dnpipes:*')
    await mountCommand(mountpoint, options).catch(fatal)
    process.exit(0)
  })

program.command('unmount')
  .alias('umount')
  .description('unmount a dnpipes filesystem; its daemon exits')
  .argument('<mountpoint>', 'the mounted directory')
  .option('--lazy', 'detach now even if files are open (fusermount -uz)', false)
  .addHelpText('after', '\nExample:\n  dnpipes unmount /mnt/dnpipes')
  .action(async (mountpoint: string, options: { lazy: boolean }) => {
    await unmountFilesystem(mountpoint, options.lazy).catch(fatal)
  })

program.parseAsync(process.argv).catch(fatal)
