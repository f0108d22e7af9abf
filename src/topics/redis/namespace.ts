import { randomBytes } from 'node:crypto'
import { TopicError } from '../errors'
import { KeyLayout, ROOT } from './keys'
import type { DirectoryWatch } from './directory-watch'
import type { Lookup } from './lookup'
import { joinPath, splitPath, validateNewPath } from '../paths'
import { exists, noTopic, nothingAt, requireRemovableDirectory } from '../rules/kinds'
import { checkTopicRename } from '../rules/rename'
import type { ScriptRunner } from './script-runner'
import { ownershipArgs } from '../rules/ownership'
import type { Creator, DirectoryEntry, OwnershipChange, TopicStat } from '../types'

/** How long a renamed topic's forwarding address is kept: far longer than any follower's outage. */
const FORWARD_SECONDS = 24 * 60 * 60
/** Renames one follower chases in one go; more in a row means something keeps moving it. */
const MAX_FORWARDS = 16

/** Names: topics and directories created, listed, renamed and removed. */
export class Namespace {
  constructor (
    private readonly runner: ScriptRunner,
    private readonly keys: KeyLayout,
    private readonly lookup: Lookup,
    /** On a Redis Cluster, moves between hash slots answer EXDEV. */
    private readonly cluster: boolean,
    /** When directories are held, every change to one is announced, and forgotten here at once. */
    private readonly directories?: DirectoryWatch
  ) {}

  /** Creates an empty topic. Answers EEXIST when something is already at `path`. */
  async create (path: string, creator?: Creator): Promise<TopicStat> {
    validateNewPath(path)
    const { parent, name } = splitPath(path)
    const [, kind] = await Promise.all([this.lookup.requireDirectory(parent), this.lookup.childKind(path)])
    if (kind === 'd') throw exists(path, 'directory')
    const keys = this.keys.topic(path)
    const uid = randomBytes(8).toString('hex')
    // The topic first, then its directory entry: a crash in between leaves an invisible topic
    // rather than a listed name that does not exist.
    const created = await this.runner.run('create', [keys.stream, keys.meta], [uid, ...ownershipArgs(creator)])
    if (created !== 1) throw exists(path)
    await this.link(parent, 'set', name, 'f')
    const stat = await this.lookup.statTopic(path)
    if (!stat) throw new TopicError('ENOENT', `${path} was removed while being created`)
    return stat
  }

  /** Deletes a topic and its messages; EISDIR for a directory, which stays with its children. */
  async remove (path: string): Promise<void> {
    const { parent, name } = splitPath(path)
    const keys = this.keys.topic(path)
    const existed = await this.runner.run('remove', [keys.stream, keys.meta, keys.index, keys.delayed, keys.due], [])
    if (existed !== 1 && await this.lookup.childKind(path) === 'd') throw noTopic(path, 'directory')
    const listed = await this.link(parent, 'drop', name)
    if (existed !== 1 && !listed) throw noTopic(path, undefined)
  }

  async mkdir (path: string, creator?: Creator): Promise<void> {
    validateNewPath(path)
    const { parent, name } = splitPath(path)
    await this.lookup.requireDirectory(parent)
    if (await this.lookup.hasTopic(path)) throw exists(path)
    if (!await this.link(parent, 'add', name, 'd')) throw exists(path)
    // Listed first: attributes written before would overwrite those of a directory another
    // host made by this name meanwhile. Until they are written it shows the mount's defaults.
    await this.runner.run('own', [this.keys.directoryAttributes(path)], ['new-directory', ...ownershipArgs(creator), this.channel, path])
    this.changed(path)
  }

  async rmdir (path: string): Promise<void> {
    await requireRemovableDirectory(this.lookup, path, () => this.runner.command(redis => redis.hlen(this.keys.directory(path))))
    const { parent, name } = splitPath(path)
    await this.link(parent, 'drop', name)
    await this.runner.command(redis => redis.del(this.keys.directoryAttributes(path)))
    this.changed(path)
  }

  /** chmod, chown, chgrp: of the topic at `path`, else of the directory there. */
  async changeOwnership (path: string, change: OwnershipChange): Promise<void> {
    const args = ownershipArgs(change)
    if (path !== ROOT && await this.runner.run('own', [this.keys.topic(path).meta], ['topic', ...args, '', '']) === 1) return
    if (path !== ROOT && await this.lookup.childKind(path) !== 'd') throw nothingAt(path)
    await this.runner.run('own', [this.keys.directoryAttributes(path)], ['directory', ...args, this.channel, path])
    this.changed(path)
  }

  /** Children of a directory, sorted by name. */
  async list (path: string): Promise<DirectoryEntry[]> {
    await this.lookup.requireDirectory(path)
    const children = await this.runner.command(redis => redis.hgetall(this.keys.directory(path)))
    return Object.keys(children).sort().map(name => ({ name, kind: children[name] === 'd' ? 'directory' : 'topic' }))
  }

  /**
   * Renames a topic (replacing a topic at the destination, as rename(2) does). Directories, and
   * topics on a Redis Cluster, answer EXDEV so that `mv` copies instead.
   */
  async rename (from: string, to: string): Promise<void> {
    if (from === to) return
    const names = { stat: (p: string) => this.lookup.stat(p), list: (p: string) => this.list(p), requireDirectory: (p: string) => this.lookup.requireDirectory(p) }
    await checkTopicRename(names, from, to, !this.cluster)
    const src = splitPath(from)
    const dst = splitPath(to)
    const a = this.keys.topic(from)
    const b = this.keys.topic(to)
    await this.runner.run('rename', [a.stream, a.meta, a.index, a.delayed, a.due, b.stream, b.meta, b.index, b.delayed, b.due,
      this.keys.directory(src.parent), this.keys.directory(dst.parent), this.keys.moved(from),
      this.keys.directoryAttributes(src.parent), this.keys.directoryAttributes(dst.parent)],
    [src.name, dst.name, to, FORWARD_SECONDS, this.channel, src.parent, dst.parent])
    this.changed(src.parent)
    this.changed(dst.parent)
  }

  /**
   * Lists or unlists `name` in directory `dir` (see link.lua), which then has a new mtime;
   * whether the listing changed.
   */
  private async link (dir: string, op: 'set' | 'add' | 'drop', name: string, kind = ''): Promise<boolean> {
    const linked = await this.runner.run('link', [this.keys.directory(dir), this.keys.directoryAttributes(dir)], [op, name, kind, this.channel, dir]) === 1
    if (linked) {
      this.changed(dir)
      this.changed(joinPath(dir, name))
    }
    return linked
  }

  /**
   * Where changes to directories are announced: every writer announces, whether or not it
   * holds directories itself (the CLI does not, the mounts do). '' on a Cluster, where no
   * mount holds them.
   */
  private get channel (): string {
    return this.cluster ? '' : this.keys.directoriesChannel()
  }

  /** This store's own change: its cache forgets at once, without waiting for the announcement. */
  private changed (path: string): void {
    this.directories?.cache.changed(path)
  }

  /** Where the topic `uid`, last seen at `path`, is now: there, where renames took it, or nowhere. */
  async locate (path: string, uid: string): Promise<string | undefined> {
    let at = path
    for (let hop = 0; hop <= MAX_FORWARDS; hop++) {
      if (await this.lookup.topicUid(at) === uid) return at
      const next = await this.runner.command(redis => redis.hget(this.keys.moved(at), uid))
      if (next === null) return undefined
      at = next
    }
    return undefined
  }
}
