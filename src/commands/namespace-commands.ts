import { promises as fs } from 'node:fs'
import { buildAttr, processIds } from '../mount/attrs'
import { TopicError } from '../topics/errors'
import { fromFusePath, joinPath } from '../topics/paths'
import { makeDirectories, moveTree, removeTree } from '../topics/tree'
import { cliCreators } from './creators'
import { IdNames, ListedEntry, longListing, parseIdFile } from './long-listing'
import { writeOut } from './output'
import { StoreOptions, withStore } from './session'

/**
 * The namespace without FUSE: mkdir, rm, mv and ls as their coreutils namesakes behave on a
 * mount, for machines and containers that cannot mount.
 */

export interface MkdirOptions extends StoreOptions {
  parents: boolean
}

export async function mkdirCommand (dirs: string[], options: MkdirOptions): Promise<void> {
  const { directory } = cliCreators()
  await withStore(options, async store => {
    for (const dir of dirs.map(fromFusePath)) {
      if (options.parents) await makeDirectories(store, dir, directory)
      else await store.mkdir(dir, directory)
    }
  })
}

export interface RmOptions extends StoreOptions {
  recursive: boolean
  force: boolean
}

/** rm [-r] [-f]: a directory needs -r, as with rm(1); -f says nothing of missing paths. */
export async function rmCommand (paths: string[], options: RmOptions): Promise<void> {
  await withStore(options, async store => {
    for (const path of paths.map(fromFusePath)) {
      const stat = await store.stat(path)
      if (!stat) {
        if (options.force) continue
        throw new TopicError('ENOENT', `cannot remove ${path}: no such topic or directory`)
      }
      if (stat.kind === 'directory' && !options.recursive) throw new TopicError('EISDIR', `cannot remove ${path || '/'}: is a directory (use -r)`)
      if (stat.kind === 'directory') await removeTree(store, path)
      else await store.remove(path)
    }
  })
}

export async function mvCommand (from: string, to: string, options: StoreOptions): Promise<void> {
  await withStore(options, async store => {
    await moveTree(store, fromFusePath(from), fromFusePath(to))
  })
}

export interface LsOptions extends StoreOptions {
  long: boolean
}

export async function lsCommand (dir: string | undefined, options: LsOptions): Promise<void> {
  const path = fromFusePath(dir ?? '')
  await withStore(options, async store => {
    const stat = await store.stat(path)
    if (!stat) throw new TopicError('ENOENT', `no such directory ${path}`)
    const entries = stat.kind === 'topic' ? [{ name: path, kind: 'topic' as const }] : await store.list(path)
    if (!options.long) {
      await writeOut(entries.map(entry => entry.name + (entry.kind === 'directory' ? '/' : '') + '\n').join(''))
      return
    }
    // What a mount run by this user shows for entries without stored ownership (see docs/files.md).
    const owner = { ...processIds(), readOnly: false }
    const now = Date.now()
    // All at once: the client pipelines them, one round trip for the lot rather than one each.
    const stats = await Promise.all(entries.map(entry => store.stat(stat.kind === 'topic' ? path : joinPath(path, entry.name))))
    const listed: ListedEntry[] = []
    entries.forEach((entry, i) => {
      const entryStat = stats[i]
      if (!entryStat) return // removed since the listing
      const attr = buildAttr(entryStat, owner, now)
      listed.push({
        name: entry.name,
        mode: attr.mode,
        nlink: attr.nlink ?? 1,
        uid: attr.uid,
        gid: attr.gid,
        size: attr.size,
        blocks: attr.blocks ?? 0,
        mtimeMs: Number(attr.mtime),
        directory: entryStat.kind === 'directory'
      })
    })
    await writeOut(longListing(listed, await systemIdNames(), now))
  })
}

async function systemIdNames (): Promise<IdNames> {
  const read = (file: string): Promise<Map<number, string>> => fs.readFile(file, 'utf8').then(parseIdFile, () => new Map())
  const [users, groups] = await Promise.all([read('/etc/passwd'), read('/etc/group')])
  return {
    user: uid => users.get(uid) ?? String(uid),
    group: gid => groups.get(gid) ?? String(gid)
  }
}
