import type { TopicEngine } from './engine'
import { TopicError } from './errors'
import { joinPath as join, splitPath } from './paths'
import { applyOwnership } from './rules/ownership'
import type { Creator, Ownership, TopicStat } from './types'

/** Who new topics and directories belong to, and their modes (the CLI's user and umask). */
export interface Creators {
  topic: Creator
  directory: Creator
}

/**
 * Whole-tree operations composed of the engine's single-name ones, as mkdir -p, rm -r and mv
 * compose mkdir(2), unlink(2), rmdir(2) and rename(2): for the CLI, where there is no kernel and
 * no coreutils to do the composing.
 */

/** Every directory on the way to `path`, outermost first: "a/b/c" gives "a", "a/b", "a/b/c". */
export function ancestry (path: string): string[] {
  const parts = path.split('/').filter(part => part !== '')
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'))
}

/** mkdir -p: makes `path` and the directories above it; a topic on the way is ENOTDIR. */
export async function makeDirectories (engine: TopicEngine, path: string, creator?: Creator): Promise<void> {
  for (const dir of ancestry(path)) {
    const existing = await engine.stat(dir)
    if (existing?.kind === 'directory') continue
    if (existing?.kind === 'topic') throw new TopicError('ENOTDIR', `${dir} is a topic`)
    await engine.mkdir(dir, creator).catch(async err => {
      // Another client made it meanwhile: as good as made here, if it is a directory.
      if (err instanceof TopicError && err.code === 'EEXIST' && (await engine.stat(dir))?.kind === 'directory') return
      throw err
    })
  }
}

/** The topic at `path`, created (with missing directories, as mkdir -p) when there is none. */
export async function ensureTopic (engine: TopicEngine, path: string, creators?: Creators): Promise<TopicStat> {
  const existing = await engine.stat(path)
  if (existing?.kind === 'topic') return existing
  if (existing?.kind === 'directory') throw new TopicError('EISDIR', `${path} is a directory`)
  await makeDirectories(engine, splitPath(path).parent, creators?.directory)
  return engine.create(path, creators?.topic).catch(async err => {
    const now = err instanceof TopicError && err.code === 'EEXIST' ? await engine.stat(path) : undefined
    if (now?.kind === 'topic') return now
    throw err
  })
}

/** rm -r: removes a topic, or a directory with everything under it, deepest first. */
export async function removeTree (engine: TopicEngine, path: string): Promise<void> {
  if (path === '') throw new TopicError('EPERM', 'the root cannot be removed')
  const stat = await engine.stat(path)
  if (!stat) throw new TopicError('ENOENT', `no such path ${path}`)
  if (stat.kind === 'topic') return engine.remove(path)
  for (const entry of await engine.list(path)) {
    await removeTree(engine, join(path, entry.name))
  }
  await engine.rmdir(path)
}

/**
 * mv FROM TO, as mv(1) does it: into TO when TO is a directory; a topic by one atomic rename; a
 * directory (which rename(2) answers with EXDEV on every engine) by making it at TO, moving
 * each entry under it by rename, and removing the emptied source. Messages are never copied:
 * where a topic cannot be renamed atomically (a Redis Cluster) the move is refused before
 * anything changed.
 */
export async function moveTree (engine: TopicEngine, from: string, to: string): Promise<string> {
  if (from === '') throw new TopicError('EPERM', 'the root cannot be moved')
  const source = await engine.stat(from)
  if (!source) throw new TopicError('ENOENT', `no such path ${from}`)
  let target = to
  if ((await engine.stat(to))?.kind === 'directory' && to !== from) target = join(to, splitPath(from).name)
  if (target === from) return target
  if (source.kind === 'directory' && (target + '/').startsWith(from + '/')) {
    throw new TopicError('EINVAL', `cannot move ${from} into itself`)
  }
  if (source.kind === 'topic') {
    await engine.rename(from, target).catch(err => { throw explainExdev(err, from) })
    return target
  }
  await moveDirectory(engine, from, target).catch(err => { throw explainExdev(err, from) })
  return target
}

async function moveDirectory (engine: TopicEngine, from: string, to: string): Promise<void> {
  const existing = await engine.stat(to)
  if (existing?.kind === 'topic') throw new TopicError('ENOTDIR', `${to} is a topic`)
  if (existing && (await engine.list(to)).length > 0) throw new TopicError('ENOTEMPTY', `${to} is not empty`)
  const made = !existing
  if (made) {
    await engine.mkdir(to)
    // mv keeps a directory's owner and mode, as mv(1) does across filesystems.
    const stored = storedOwnership(await engine.stat(from))
    if (stored) await engine.changeOwnership(to, stored)
  }
  let moved = 0
  try {
    for (const entry of await engine.list(from)) {
      const child = join(from, entry.name)
      if (entry.kind === 'directory') await moveDirectory(engine, child, join(to, entry.name))
      else await engine.rename(child, join(to, entry.name))
      moved++
    }
  } catch (err) {
    // Nothing moved yet (the engine cannot rename topics at all): leave no trace of the attempt.
    if (moved === 0 && made) await engine.rmdir(to).catch(() => undefined)
    throw err
  }
  await engine.rmdir(from)
}

/** What `stat` has stored of its ownership, or undefined when nothing. */
function storedOwnership (stat: Ownership | undefined): Ownership | undefined {
  const stored: Ownership = {}
  return stat && applyOwnership(stored, stat) ? stored : undefined
}

function explainExdev (err: unknown, from: string): unknown {
  if (!(err instanceof TopicError) || err.code !== 'EXDEV') return err
  return new TopicError('EXDEV', `cannot move ${from}: ${err.message}; copy it instead (dnpipes pull FROM | dnpipes push TO, then dnpipes rm FROM)`)
}
