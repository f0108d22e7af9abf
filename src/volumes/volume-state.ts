import { promises as fs } from 'node:fs'
import path from 'node:path'
import type { VolumeSpec } from './volume-options'

/** One volume as the state directory keeps it. */
export interface VolumeRecord extends VolumeSpec {
  name: string
  /** When it was created (ISO 8601), for VolumeDriver.Get's Status. */
  createdAt: string
  /** The IDs of the mounts (containers) using it now; its mount is served while there is one. */
  users: string[]
}

interface StateFile {
  version: 1
  volumes: Record<string, VolumeRecord>
}

const STATE_FILE = 'volumes.json'

/**
 * The volumes and who uses them, kept in `dir`/volumes.json and written whole on every change
 * (to a temporary file, then renamed over the old one), so that a driver started again, after a
 * crash as after a restart, finds every volume, every container's mount and every server.
 */
export class VolumeState {
  private constructor (readonly dir: string, private readonly volumes: Map<string, VolumeRecord>) {}

  static async open (dir: string): Promise<VolumeState> {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 })
    let text: string
    try {
      text = await fs.readFile(path.join(dir, STATE_FILE), 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new VolumeState(dir, new Map())
      throw err
    }
    const parsed = JSON.parse(text) as StateFile
    if (parsed.version !== 1 || typeof parsed.volumes !== 'object') throw new Error(`${path.join(dir, STATE_FILE)}: not a state file of this version`)
    return new VolumeState(dir, new Map(Object.entries(parsed.volumes)))
  }

  get (name: string): VolumeRecord | undefined {
    return this.volumes.get(name)
  }

  all (): VolumeRecord[] {
    return [...this.volumes.values()].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  }

  /** Adds or replaces `record`, then writes the state. */
  async put (record: VolumeRecord): Promise<void> {
    this.volumes.set(record.name, record)
    await this.save()
  }

  async delete (name: string): Promise<void> {
    this.volumes.delete(name)
    await this.save()
  }

  private async save (): Promise<void> {
    const file = path.join(this.dir, STATE_FILE)
    const temporary = `${file}.${process.pid}.tmp`
    const state: StateFile = { version: 1, volumes: Object.fromEntries(this.volumes) }
    const handle = await fs.open(temporary, 'w', 0o600)
    try {
      await handle.writeFile(JSON.stringify(state, null, 2) + '\n')
      await handle.sync()
    } finally {
      await handle.close()
    }
    await fs.rename(temporary, file)
  }
}
