import { closeSync } from 'node:fs'
import { FuseMount, mountFuse } from '../../src/fuse/mount'
import { nativeFuse } from '../../src/fuse/native'
import { FuseSession } from '../../src/fuse/session'
import { memoryFilesystem } from './memory-fs'

/**
 * `node serve-memory-fs.js MOUNTPOINT [OPTION,...]`: serves the memory filesystem through the
 * FUSE layer, prints "ready", and unmounts on SIGTERM or SIGINT. HOLD_COUNT sets how many reads
 * of /held/ wait for each other (default 1000). With SERVE_THROUGH_CLONE=1, once INIT is
 * answered, the connection's own descriptor is paused and requests are read through a clone of
 * it, which SIGUSR2 closes (the kernel fails what it held) and replaces by another.
 */
async function main (): Promise<void> {
  const [mountpoint, options] = process.argv.slice(2)
  if (!mountpoint) throw new Error('usage: serve-memory-fs MOUNTPOINT [OPTION,...]')
  let changed = (_path: string): void => {}
  const mounted = await mountFuse(mountpoint, memoryFilesystem(Number(process.env.HOLD_COUNT ?? 1000), path => changed(path)), {
    mountOptions: ['fsname=memoryfs', 'subtype=memoryfs', ...(options ? options.split(',') : [])],
    cache: { entrySeconds: 1, attrSeconds: 0 },
    directIo: true,
    ownXattrs: '',
    readdirPlus: false
  })
  changed = path => mounted.layer.attributesChanged(path)
  if (process.env.SERVE_THROUGH_CLONE === '1') await serveThroughClones(mounted)
  const stop = (): void => { mounted.unmount().then(() => process.exit(0), err => { console.error(err); process.exit(1) }) }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  mounted.ended.then(errno => { if (errno !== 0) { console.error(`connection ended: errno ${errno}`); process.exit(0) } })
  console.log('ready')
}

/** See SERVE_THROUGH_CLONE above. */
async function serveThroughClones (mounted: FuseMount): Promise<void> {
  while (mounted.session.negotiated === undefined) await new Promise(resolve => setTimeout(resolve, 1))
  const native = nativeFuse()
  const fd = mounted.session.fd
  mounted.session.pause()
  const start = (): { session: FuseSession, fd: number } => {
    const clone = native.clone(fd)
    const session = new FuseSession(native, clone, mounted.layer, { resume: { ...mounted.session.negotiated!, offered2: 0 } })
    mounted.layer.notices.notify = chunks => session.notify(chunks)
    session.start()
    return { session, fd: clone }
  }
  let current = start()
  process.on('SIGUSR2', () => {
    current.session.stop()
    closeSync(current.fd)
    current = start()
  })
}

main().catch(err => {
  console.error(`serve-memory-fs: ${err.message}`)
  process.exit(1)
})
