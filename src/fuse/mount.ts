import { nativeFuse } from './native'
import type { Operations } from './operations'
import { PathLayer, PathLayerOptions } from './path-layer'
import { FuseSession, SessionOptions } from './session'

export interface FuseMountOptions extends PathLayerOptions {
  /**
   * Options of the mount itself, as `-o` takes them: allow_other, default_permissions, ro,
   * fsname=…, subtype=…, and whatever else libfuse's mount accepts (an unknown one fails the
   * mount, naming it).
   */
  mountOptions: string[]
  /** How the connection is served (taking over from another server, telling what INIT agreed). */
  session?: SessionOptions
}

export interface FuseMount {
  readonly mountpoint: string
  readonly session: FuseSession
  readonly layer: PathLayer
  /** Resolves when the connection ends: unmounted (by us or from outside) or aborted. */
  readonly ended: Promise<number>
  /** Stops serving and unmounts (lazily: files still open keep what they had). */
  unmount (): Promise<void>
}

/**
 * Mounts `ops` at `mountpoint` (a directory, or /dev/fd/N for a /dev/fuse descriptor someone
 * else mounted) and serves it on the event loop until unmounted.
 */
export async function mountFuse (mountpoint: string, ops: Operations, options: FuseMountOptions): Promise<FuseMount> {
  const native = nativeFuse()
  const { session: handle, fd } = await native.mount(mountpoint, options.mountOptions.join(',')).catch((err: Error & { detail?: string }) => {
    // libfuse's own words (which option, which file) say more than the errno.
    if (err.detail) err.message = `${err.message} (${err.detail})`
    throw err
  })
  const layer = new PathLayer(ops, options)
  const session = new FuseSession(native, fd, layer, options.session)
  layer.notices.notify = chunks => session.notify(chunks)
  layer.heldLookups.holder = { hold: (parent, name, reply) => session.hold(parent, name, reply), drop: (parent, name) => session.drop(parent, name) }
  session.start()
  let unmounting: Promise<void> | undefined
  return {
    mountpoint,
    session,
    layer,
    ended: session.ended,
    unmount () {
      unmounting ??= (async () => {
        session.stop()
        await native.unmount(handle)
      })()
      return unmounting
    }
  }
}
