import { volumesLog } from '../log'
import { validateVolumeName, volumeSpec } from './volume-options'
import type { ServerCommand, VolumeMounts } from './volume-mounts'
import type { VolumeRecord, VolumeState } from './volume-state'
import { SerialQueue } from '../util/serial-queue'

/** The body of a request, once parsed as JSON: an object, or nothing. */
export type RequestBody = Record<string, unknown>

export interface VolumeInfo {
  Name: string
  Mountpoint?: string
  Status?: Record<string, unknown>
}

/**
 * The operations of Docker's volume plugin protocol on dnpipes volumes: each volume is a
 * `dnpipes mount --root PATH` served while at least one container uses it, counted by the
 * container's mount ID so that a Mount or Unmount sent twice counts once. One request at a time:
 * each reads and writes the state whole.
 */
export class VolumeDriver {
  private readonly queue = new SerialQueue()

  constructor (
    private readonly state: VolumeState,
    private readonly mounts: VolumeMounts,
    /** The command of a volume's server: `dnpipes mount` with the driver's Redis target. */
    private readonly serverCommand: (record: VolumeRecord) => ServerCommand
  ) {}

  /** Runs `endpoint` ("VolumeDriver.Create", …) for `body`; a refusal rejects, its message the `Err` the engine shows. */
  handle (endpoint: string, body: RequestBody): Promise<Record<string, unknown>> {
    return this.queue.run(() => this.dispatch(endpoint, body))
  }

  private async dispatch (endpoint: string, body: RequestBody): Promise<Record<string, unknown>> {
    switch (endpoint) {
      case 'Plugin.Activate': return { Implements: ['VolumeDriver'] }
      case 'VolumeDriver.Capabilities': return { Capabilities: { Scope: 'global' } }
      case 'VolumeDriver.Create': return await this.create(body)
      case 'VolumeDriver.Remove': return await this.remove(body)
      case 'VolumeDriver.Mount': return await this.mount(body)
      case 'VolumeDriver.Unmount': return await this.unmount(body)
      case 'VolumeDriver.Path': return await this.path(body)
      case 'VolumeDriver.Get': return { Volume: await this.info(this.existing(body)) }
      case 'VolumeDriver.List': return { Volumes: await Promise.all(this.state.all().map(record => this.info(record))) }
      default: throw new Error(`unknown endpoint /${endpoint}`)
    }
  }

  /** Made again with the same options: nothing to do (engines create a volume they are told of). */
  private async create (body: RequestBody): Promise<Record<string, unknown>> {
    const name = validateVolumeName(body.Name)
    const spec = volumeSpec(name, body.Opts)
    const existing = this.state.get(name)
    if (existing) {
      if (existing.path === spec.path && existing.mountArgs.join('\0') === spec.mountArgs.join('\0')) return {}
      throw new Error(`volume ${name} exists with other options (path ${existing.path})`)
    }
    await this.state.put({ name, ...spec, createdAt: new Date().toISOString(), users: [] })
    volumesLog('created volume %s: path %s %s', name, spec.path, spec.mountArgs.join(' '))
    return {}
  }

  /** Forgets the volume; its topics stay in the store (other hosts may use them). */
  private async remove (body: RequestBody): Promise<Record<string, unknown>> {
    const record = this.existing(body)
    if (record.users.length > 0) throw new Error(`volume ${record.name} is in use by ${record.users.length} container(s)`)
    await this.mounts.stop(record.name)
    await this.mounts.remove(record.name)
    await this.state.delete(record.name)
    volumesLog('removed volume %s', record.name)
    return {}
  }

  private async mount (body: RequestBody): Promise<Record<string, unknown>> {
    const record = this.existing(body)
    const id = idOf(body)
    const mountpoint = await this.mounts.serve(record.name, this.serverCommand(record))
    if (!record.users.includes(id)) await this.state.put({ ...record, users: [...record.users, id] })
    volumesLog('volume %s mounted for %s (%d using it)', record.name, id, this.state.get(record.name)!.users.length)
    return { Mountpoint: mountpoint }
  }

  private async unmount (body: RequestBody): Promise<Record<string, unknown>> {
    const record = this.existing(body)
    const id = idOf(body)
    const users = record.users.filter(user => user !== id)
    if (users.length === 0) await this.mounts.stop(record.name)
    if (users.length !== record.users.length) await this.state.put({ ...record, users })
    volumesLog('volume %s unmounted for %s (%d using it)', record.name, id, users.length)
    return {}
  }

  /** Where the volume is mounted while containers use it (a mount whose server died is served again); '' otherwise. */
  private async path (body: RequestBody): Promise<Record<string, unknown>> {
    const record = this.existing(body)
    if (record.users.length === 0) return { Mountpoint: '' }
    return { Mountpoint: await this.mounts.serve(record.name, this.serverCommand(record)) }
  }

  private async info (record: VolumeRecord): Promise<VolumeInfo> {
    const served = await this.mounts.served(record.name)
    return {
      Name: record.name,
      ...(served ? { Mountpoint: this.mounts.mountpoint(record.name) } : {}),
      Status: { path: record.path, options: record.mountArgs.join(' '), containers: record.users.length, served, createdAt: record.createdAt }
    }
  }

  private existing (body: RequestBody): VolumeRecord {
    const name = validateVolumeName(body.Name)
    const record = this.state.get(name)
    if (!record) throw new Error(`no such volume: ${name}`)
    return record
  }
}

function idOf (body: RequestBody): string {
  if (typeof body.ID !== 'string' || body.ID === '') throw new Error('the request names no mount ID (a string)')
  return body.ID
}
