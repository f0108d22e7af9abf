import t from 'tap'
import { Errno } from '../../../src/fuse/errno'
import { NodeTable, ROOT_NODE } from '../../../src/fuse/inodes'
import { Listings } from '../../../src/fuse/listings'
import type { Operations } from '../../../src/fuse/operations'
import { Size } from '../../../src/fuse/protocol'
import { UNKNOWN_INO } from '../../../src/fuse/reply'
import type { Stat } from '../../../src/fuse/types'

// Listings: OPENDIR handles, and READDIR/READDIRPLUS pages from the listing the first page took, decoded.

const cache = { entrySeconds: 1, attrSeconds: 1 }
const FILE = 0o100644
const DIR = 0o040755
const statOf = (mode: number, extra: Partial<Stat> = {}): Stat => ({ mode, uid: 0, gid: 0, size: 0, mtime: 0, atime: 0, ctime: 0, ...extra })

interface Dirent {
  name: string
  ino: number
  next: number
  type: number
  /** READDIRPLUS: the entry's node id (0: none given) and its attributes' mode. */
  nodeid?: number
  mode?: number
}

/** The entries of a READDIR (or, with `plus`, READDIRPLUS) page. */
function dirents (page: Buffer, plus: boolean): Dirent[] {
  const entries: Dirent[] = []
  const at = plus ? Size.ENTRY_OUT : 0
  for (let offset = 0; offset < page.length;) {
    const length = page.readUInt32LE(offset + at + 16)
    const dirent: Dirent = {
      ino: Number(page.readBigUInt64LE(offset + at)),
      next: Number(page.readBigUInt64LE(offset + at + 8)),
      type: page.readUInt32LE(offset + at + 20),
      name: page.toString('utf8', offset + at + Size.DIRENT_BASE, offset + at + Size.DIRENT_BASE + length)
    }
    if (plus) {
      dirent.nodeid = Number(page.readBigUInt64LE(offset))
      dirent.mode = page.readUInt32LE(offset + 40 + 60)
    }
    entries.push(dirent)
    offset += (at + Size.DIRENT_BASE + length + 7) & ~7
  }
  return entries
}

interface Setup {
  listings: Listings
  nodes: NodeTable
  /** Directories read through the operations, in order. */
  read: string[]
  /** Paths whose references were counted, in order. */
  remembered: string[]
}

function setup (ops: Operations, firstHandle = 0): Setup {
  const nodes = new NodeTable()
  const read: string[] = []
  const remembered: string[] = []
  const readdir = ops.readdir
  const counted: Operations = readdir ? { ...ops, readdir: (path, cb) => { read.push(path); readdir(path, cb) } } : ops
  const listings = new Listings({
    ops: counted,
    nodes,
    cache,
    firstHandle,
    remembered: (path) => { remembered.push(path); return nodes.remember(path) }
  })
  return { listings, nodes, read, remembered }
}

type Answer = { error: number } | { body: Buffer }

function page (listings: Listings, path: string, nodeid: number, fh: number, offset: number, size: number, plus = false): Promise<Answer> {
  return new Promise(resolve => listings.page(path, nodeid, fh, offset, size, plus, {
    ok: (...body) => resolve({ body: Buffer.concat(body) }),
    error: code => resolve({ error: code })
  }))
}

function entriesOf (answer: Answer, plus = false): Dirent[] {
  if (!('body' in answer)) throw new Error(`answered errno ${answer.error}`)
  return dirents(answer.body, plus)
}

t.test('directory handles count up from after firstHandle', async t => {
  const { listings } = setup({}, 1000)
  t.equal(listings.open(), 1001)
  t.equal(listings.open(), 1002)
  t.equal(setup({}).listings.open(), 1)
})

t.test('a listing starts with "." and "..", as this layer numbers them; the filesystem\'s own are left out', async t => {
  const { listings, nodes } = setup({ readdir: (_path, cb) => cb(0, ['.', 'a', '..', 'b']) })
  const root = entriesOf(await page(listings, '/', ROOT_NODE, listings.open(), 0, 4096))
  t.same(root.map(e => e.name), ['.', '..', 'a', 'b'])
  t.same([root[0]!.ino, root[1]!.ino], [ROOT_NODE, ROOT_NODE], 'the root is its own parent')
  t.same([root[0]!.type, root[1]!.type], [4, 4], 'DT_DIR')
  const d = nodes.remember('/d')
  const sub = nodes.remember('/d/sub')
  const inside = entriesOf(await page(listings, '/d/sub', sub, listings.open(), 0, 4096))
  t.same([inside[0]!.ino, inside[1]!.ino], [sub, d], '".." is the parent\'s node')
  const orphan = nodes.remember('/x/y')
  const unknown = entriesOf(await page(listings, '/x/y', orphan, listings.open(), 0, 4096))
  t.equal(unknown[1]!.ino, UNKNOWN_INO, 'a parent the kernel does not hold has no number')
})

t.test('an entry\'s inode number: its stat\'s, else its node\'s, else unknown; its type from its mode', async t => {
  const { listings, nodes } = setup({
    readdir: (_path, cb) => cb(0, ['own', 'held', 'other'], [statOf(FILE, { ino: 555 }), statOf(DIR), undefined as unknown as Stat])
  })
  const held = nodes.remember('/d/held')
  const entries = entriesOf(await page(listings, '/d', 9, listings.open(), 0, 4096)).slice(2)
  t.same(entries.map(e => [e.name, e.ino, e.type]), [['own', 555, 8], ['held', held, 4], ['other', UNKNOWN_INO, 0]])
})

t.test('pages after the first come from the listing taken by the first, until the handle is released', async t => {
  let names = ['a', 'b', 'c']
  const { listings, read } = setup({ readdir: (_path, cb) => cb(0, names) })
  const fh = listings.open()
  const first = entriesOf(await page(listings, '/', ROOT_NODE, fh, 0, 2 * 32))
  t.same(first.map(e => [e.name, e.next]), [['.', 1], ['..', 2]], 'two entries fit; each says where the next starts')
  names = ['a', 'z']
  const rest = entriesOf(await page(listings, '/', ROOT_NODE, fh, 2, 4096))
  t.same(rest.map(e => e.name), ['a', 'b', 'c'], 'the listing as it was at the first page')
  t.equal(entriesOf(await page(listings, '/', ROOT_NODE, fh, 5, 4096)).length, 0, 'past the end: an empty page')
  t.same(read, ['/'], 'one readdir for the three pages')
  const again = entriesOf(await page(listings, '/', ROOT_NODE, fh, 0, 4096))
  t.same(again.map(e => e.name), ['.', '..', 'a', 'z'], 'offset 0 (a rewinddir) lists again')
  listings.release(fh)
  const afterRelease = entriesOf(await page(listings, '/', ROOT_NODE, fh, 2, 4096))
  t.same(afterRelease.map(e => e.name), ['a', 'z'], 'a released handle has no listing left: a later page lists again')
  t.same(read, ['/', '/', '/'])
  const other = listings.open()
  await page(listings, '/', ROOT_NODE, other, 3, 4096)
  t.equal(read.length, 4, 'another handle has a listing of its own')
})

t.test('failures: no readdir is ENOSYS, the operation\'s errno, EIO for success without names', async t => {
  t.same(await page(setup({}).listings, '/', ROOT_NODE, 1, 0, 4096), { error: Errno.ENOSYS })
  t.same(await page(setup({ readdir: (_path, cb) => cb(Errno.ENOTDIR) }).listings, '/f', 5, 1, 0, 4096), { error: Errno.ENOTDIR })
  t.same(await page(setup({ readdir: (_path, cb) => cb(0) }).listings, '/', ROOT_NODE, 1, 0, 4096), { error: Errno.EIO })
  const { listings, read } = setup({ readdir: (_path, cb) => cb(Errno.EACCES) })
  await page(listings, '/', ROOT_NODE, 1, 0, 4096)
  t.same(await page(listings, '/', ROOT_NODE, 1, 2, 4096), { error: Errno.EACCES }, 'a failed listing is not kept')
  t.equal(read.length, 2)
})

t.test('READDIRPLUS: entries with attributes go with a node the kernel counts; the others, and "." and "..", with node id 0', async t => {
  const { listings, nodes, remembered } = setup({ readdir: (_path, cb) => cb(0, ['a', 'b'], [statOf(FILE), undefined as unknown as Stat]) })
  const entries = entriesOf(await page(listings, '/d', 7, listings.open(), 0, 4096, true), true)
  t.same(entries.map(e => e.name), ['.', '..', 'a', 'b'])
  t.same(entries.map(e => e.nodeid), [0, 0, nodes.idOf('/d/a'), 0])
  t.equal(entries[2]!.mode, FILE, 'with its attributes')
  t.same(remembered, ['/d/a'], 'one reference counted, for the entry handed out')
})

t.test('READDIRPLUS: attributes the filesystem holds are taken as each page goes out, before those of the listing', async t => {
  let held: Stat | undefined
  const asked: string[] = []
  const { listings, remembered } = setup({
    readdir: (_path, cb) => cb(0, ['a', 'b', 'c'], [statOf(FILE), statOf(FILE), statOf(FILE)]),
    heldAttributes: path => { asked.push(path); return path === '/c' ? held : undefined }
  })
  const fh = listings.open()
  // Room for "." and ".." and one more entry: 3 entries of ENTRY_OUT + DIRENT_BASE + 8.
  const first = entriesOf(await page(listings, '/', ROOT_NODE, fh, 0, 3 * (Size.ENTRY_OUT + 32), true), true)
  t.same(first.map(e => e.name), ['.', '..', 'a'])
  t.same(asked, ['/a'], 'asked only for the entries that fit, never for "." and ".."')
  held = statOf(0o100600)
  const rest = entriesOf(await page(listings, '/', ROOT_NODE, fh, 3, 4096, true), true)
  t.same(rest.map(e => [e.name, e.mode]), [['b', FILE], ['c', 0o100600]], 'what is held now, not what was listed')
  t.same(remembered, ['/a', '/b', '/c'])
})
