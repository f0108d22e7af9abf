import { mountFuse } from '../../src/fuse/mount'
import { memoryFilesystem } from './memory-fs'

/**
 * `node serve-memory-fs.js MOUNTPOINT [OPTION,...]`: serves the memory filesystem through the
 * FUSE layer, prints "ready", and unmounts on SIGTERM or SIGINT. HOLD_COUNT sets how many reads
 * of /held/ wait for each other (default 1000).
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
  const stop = (): void => { mounted.unmount().then(() => process.exit(0), err => { console.error(err); process.exit(1) }) }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  mounted.ended.then(errno => { if (errno !== 0) { console.error(`connection ended: errno ${errno}`); process.exit(0) } })
  console.log('ready')
}

main().catch(err => {
  console.error(`serve-memory-fs: ${err.message}`)
  process.exit(1)
})
