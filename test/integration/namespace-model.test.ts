import fc from 'fast-check'
import t from 'tap'
import { mountFor, redisFor } from '../helpers/fixture'
import { NamespaceModel, NamespaceOp } from '../helpers/namespace-model'
import { readMismatch } from '../helpers/read-check'
import { LAYER_OPTIONS } from '../../src/mount/lifecycle'
import { HELD_KEEP_SECONDS } from '../../src/mount/shown-attributes'
import { killServer } from '../../scripts/support/mount'
import { sh, shellQuote } from '../../scripts/support/processes'

// Random sequences of file and directory operations on a real mount, its server killed between
// some of them, behave like the contract's model (test/helpers/namespace-model.ts): the next
// server takes over the node ids the kernel holds (src/restart/), so every name still reaches
// its own topic or directory after renames, removals and crashes.

type Step = NamespaceOp | { kind: 'check', path: string }

const path = fc.constantFrom('a', 'd', 'e', 'd/a', 'd/e', 'e/a', 'd/e/a')
const text = fc.string({ unit: fc.constantFrom('x', 'y', ' ', '\n', 'é'), minLength: 1, maxLength: 8 })
const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('append' as const), path, text }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('reset' as const), path }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('remove' as const), path }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('touch' as const), path }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('mkdir' as const), path }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('rmdir' as const), path }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('rename' as const), path, to: path }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('check' as const), path }), weight: 2 }
)

/**
 * Stretches of steps, the server killed between two. At most three kills: a server killed within
 * a second of its start is replaced after a growing pause (src/restart/restart-delay.ts).
 */
const stretches = fc.array(fc.array(step, { minLength: 3, maxLength: 12 }), { minLength: 1, maxLength: 4 })

/** Where every run starts: directories two deep and a topic at each depth, for the steps to work on. */
const PRELUDE: NamespaceOp[] = [
  { kind: 'mkdir', path: 'd' },
  { kind: 'mkdir', path: 'd/e' },
  { kind: 'append', path: 'a', text: 'a\n' },
  { kind: 'append', path: 'd/a', text: 'd/a\n' },
  { kind: 'append', path: 'd/e/a', text: 'd/e/a\n' }
]

/** The shell command that does `op` in the mount's directory (the current one). */
function command (op: NamespaceOp): string {
  switch (op.kind) {
    // `>>` and not `>`: with the default --otrunc ignore both append; the model tells no difference.
    case 'append': return `printf %s ${shellQuote(op.text)} >> ${op.path}`
    case 'reset': return `truncate -s 0 ${op.path}`
    case 'remove': return `rm ${op.path}`
    case 'touch': return `touch ${op.path}`
    case 'mkdir': return `mkdir ${op.path}`
    case 'rmdir': return `rmdir ${op.path}`
    case 'rename': return `mv -T ${op.path} ${op.to}`
  }
}

/** Throws unless `path` reads as the model says: its content and size, or refused when not a file. */
async function expectRead (dir: string, path: string, model: NamespaceModel): Promise<void> {
  const entry = model.entries.get(path)
  const mismatch = await readMismatch(dir, path, entry?.kind === 'file' ? entry.content : undefined)
  if (mismatch !== undefined) throw new Error(mismatch)
}

/** Does `next` on the mount and on the model; throws where they differ. */
async function take (dir: string, next: Step, model: NamespaceModel): Promise<void> {
  if (next.kind === 'check') return await expectRead(dir, next.path, model)
  const result = await sh(command(next), { cwd: dir })
  const allowed = model.apply(next)
  if ((result.code === 0) !== allowed) throw new Error(`${command(next)}: exit ${result.code} ${result.stderr.trim()}, but the model ${allowed ? 'allows' : 'refuses'} it`)
}

/**
 * Every entry of the mount but the reserved views, as NamespaceModel.listing() gives them, or
 * with `format` ('%i %y %P': with inode numbers).
 */
async function listing (dir: string, format = '%y %P'): Promise<string[]> {
  const found = await sh(`find . -mindepth 1 -path './.*' -prune -o -printf '${format}\\n'`, { cwd: dir })
  if (found.code !== 0) throw new Error(`find: ${found.stderr.trim()}`)
  return found.stdout.toString().split('\n').filter(Boolean).sort()
}

/**
 * How long the kernel answers from the names and attributes the mount gave it, and some room:
 * after it, the kernel asks the server again.
 */
const KERNEL_CACHE_MS = Math.max(LAYER_OPTIONS.cache.entrySeconds, HELD_KEEP_SECONDS) * 1000 + 200

/**
 * Kills the mount's server; throws unless every name reaches the same node (inode number) on
 * the next one as on the one killed, once the kernel asks the next one: it took over the nodes.
 */
async function killKeepingNodes (dir: string, mountPid: number): Promise<void> {
  const before = await listing(dir, '%i %y %P')
  const cached = Date.now()
  await killServer(mountPid)
  await new Promise(resolve => setTimeout(resolve, Math.max(0, cached + KERNEL_CACHE_MS - Date.now())))
  const after = await listing(dir, '%i %y %P')
  if (after.join(',') !== before.join(',')) throw new Error(`after a server was killed the mount has ${after.join(', ')}, before it ${before.join(', ')}`)
}

t.test('random namespace operations, with the server killed between some, match the model', async t => {
  const server = await redisFor(t)
  let round = 0
  await fc.assert(fc.asyncProperty(stretches, async drawn => {
    // A fresh prefix per run, so that runs do not see each other.
    const mounted = await mountFor(t, server, { args: ['--prefix', `names${round++}:`] })
    const model = new NamespaceModel()
    try {
      for (const [index, steps] of [PRELUDE, ...drawn].entries()) {
        if (index > 1) await killKeepingNodes(mounted.dir, mounted.daemon.pid!)
        for (const next of steps) await take(mounted.dir, next, model)
      }
      const found = await listing(mounted.dir)
      if (found.join(',') !== model.listing().join(',')) throw new Error(`the mount has ${found.join(', ')}, the model ${model.listing().join(', ')}`)
      for (const [file] of model.files()) await expectRead(mounted.dir, file, model)
      return true
    } finally {
      await mounted.stop()
    }
  }), { numRuns: 12 })
  t.pass('12 random sequences matched the model')
})
