import t from 'tap'
import { Notify, Size } from '../../../src/fuse/protocol'
import { attrOut, DirectoryEntry, direntsOut, entryOut, initOut, invalEntry, invalInode, outHeader, statfsOut, UNKNOWN_INO, xattrSizeOut } from '../../../src/fuse/reply'
import type { Stat } from '../../../src/fuse/types'

const stat: Stat = { mode: 0o100640, uid: 1000, gid: 100, size: 12345, mtime: 1700000000250, atime: new Date(1700000001000), ctime: 1700000002000, nlink: 1 }
const cache = { entrySeconds: 1, attrSeconds: 0.5 }

t.test('the out-header: total length, negative errno, unique', async t => {
  const header = outHeader(100, -2, (1n << 63n) | 9n)
  t.equal(header.readUInt32LE(0), Size.OUT_HEADER + 100)
  t.equal(header.readInt32LE(4), -2)
  t.equal(header.readBigUInt64LE(8), (1n << 63n) | 9n)
})

t.test('an entry: node id, validity times, attributes in the kernel\'s fuse_attr layout', async t => {
  const body = entryOut(42, stat, cache)
  t.equal(body.length, Size.ENTRY_OUT)
  t.equal(body.readBigUInt64LE(0), 42n)
  t.equal(body.readBigUInt64LE(16), 1n, 'entry valid 1 s')
  t.equal(body.readBigUInt64LE(24), 0n)
  t.equal(body.readUInt32LE(36), 500_000_000, 'attributes valid 0.5 s')
  const attr = 40
  t.equal(body.readBigUInt64LE(attr), 42n, 'ino defaults to the node id')
  t.equal(body.readBigUInt64LE(attr + 8), 12345n)
  t.equal(body.readBigUInt64LE(attr + 16), 25n, 'blocks of 512 bytes')
  t.equal(body.readBigUInt64LE(attr + 24), 1700000001n, 'atime from a Date')
  t.equal(body.readBigUInt64LE(attr + 32), 1700000000n)
  t.equal(body.readUInt32LE(attr + 52), 250_000_000, 'mtime nanoseconds')
  t.equal(body.readUInt32LE(attr + 60), 0o100640)
  t.equal(body.readUInt32LE(attr + 68), 1000)
  t.equal(body.readUInt32LE(attr + 72), 100)
  t.equal(body.readUInt32LE(attr + 80), 4096, 'blksize')
})

t.test('attributes reply: validity then the attributes', async t => {
  const body = attrOut(3, { ...stat, ino: 99 }, 0)
  t.equal(body.length, Size.ATTR_OUT)
  t.equal(body.readBigUInt64LE(0), 0n)
  t.equal(body.readBigUInt64LE(16), 99n, 'an ino of its own is kept')
})

t.test('directory pages: as many entries as fit, each pointing at the next, resumable', async t => {
  const entries: DirectoryEntry[] = ['.', '..', 'a', 'bb', 'c'.repeat(20)].map((name, i) => ({ name, ino: i + 10, mode: i < 2 ? 0o40000 : 0o100000, stat: i < 2 ? undefined : stat }))
  const all = direntsOut(entries, 0, 4096, cache)
  t.equal(all.length, 32 + 32 + 32 + 32 + 48, 'each entry is 24 bytes and its name, padded to 8')
  const first = direntsOut(entries, 0, 70, cache)
  t.equal(first.length, 64, 'two entries fit in 70 bytes')
  t.equal(first.readBigUInt64LE(32 + 8), 2n, 'the second entry says where the next page starts')
  t.equal(first.readUInt32LE(20), 4, 'DT_DIR')
  const rest = direntsOut(entries, 2, 4096, cache)
  t.equal(rest.subarray(24, 25).toString(), 'a')
  t.equal(rest.readUInt32LE(20), 8, 'DT_REG')
  t.equal(direntsOut(entries, 5, 4096, cache).length, 0, 'past the end: an empty page')

  const given: string[] = []
  const plus = direntsOut(entries, 0, 2 * 160 + 160, cache, entry => {
    if (!entry.stat) return undefined
    given.push(entry.name)
    return { nodeid: given.length + 100, stat: entry.stat }
  })
  t.same(given, ['a'], 'only entries that fit and have attributes get a node id')
  t.equal(plus.length, 3 * 160)
  t.equal(plus.readBigUInt64LE(0), 0n, '"." goes with node id 0')
  t.equal(plus.readBigUInt64LE(320), 101n)
  t.equal(plus.readBigUInt64LE(320 + Size.ENTRY_OUT), 12n, 'the dirent part follows the entry')
  t.equal(UNKNOWN_INO, 0xffffffff)
})

t.test('init, statfs, xattr size and the two notifications', async t => {
  const init = initOut({ minor: 38, maxReadahead: 131072, flags: 0x80000000 | 8, maxBackground: 64, congestionThreshold: 48, maxWrite: 1 << 20, maxPages: 256 })
  t.equal(init.length, Size.INIT_OUT)
  t.same([init.readUInt32LE(0), init.readUInt32LE(4), init.readUInt32LE(12), init.readUInt16LE(16), init.readUInt32LE(20), init.readUInt16LE(28)], [7, 38, 0x80000008, 64, 1 << 20, 256])
  const space = statfsOut({ bsize: 4096, frsize: 4096, blocks: 10, bfree: 5, bavail: 4, files: 3, ffree: 2, namemax: 255 })
  t.same([space.readBigUInt64LE(0), space.readBigUInt64LE(16), space.readUInt32LE(44)], [10n, 4n, 255])
  t.equal(xattrSizeOut(17).readUInt32LE(0), 17)
  const [header, body] = invalEntry(5, 'jobs')
  t.equal(header!.readInt32LE(4), Notify.INVAL_ENTRY)
  t.equal(header!.readBigUInt64LE(8), 0n, 'a notification has unique 0')
  t.equal(header!.readUInt32LE(0), Size.OUT_HEADER + Size.NOTIFY_INVAL_ENTRY + 5)
  t.same([body!.readBigUInt64LE(0), body!.readUInt32LE(8), body!.subarray(16).toString()], [5n, 4, 'jobs\0'])
  const [inodeHeader, inode] = invalInode(7, false)
  t.equal(inodeHeader!.readInt32LE(4), Notify.INVAL_INODE)
  t.equal(inode!.readBigInt64LE(8), -1n, 'attributes only, not pages')
})
