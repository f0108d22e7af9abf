import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import tmp from 'tmp'
import * as protocol from '../../../src/fuse/protocol'
import { FUSE_KERNEL_MINOR_VERSION, FUSE_OLDEST_MINOR_VERSION, HAS_RESEND_FLAG2, InitFlag, MAX_PAGES, MAX_WRITE, Notify, Opcode, OpenFlag, REQUEST_BUFFER_SIZE, SetattrValid, Size, UNIQUE_RESEND } from '../../../src/fuse/protocol'
import { attrOut, createOut, direntsOut, entryOut, initOut, invalEntry, invalInode, openOut, outHeader, statfsOut, writeOut, xattrSizeOut } from '../../../src/fuse/reply'
import { decodeRequest, ProtocolError } from '../../../src/fuse/request'
import type { Stat } from '../../../src/fuse/types'

// protocol.ts's sizes and numbers: as reply.ts and request.ts lay them out, and as <linux/fuse.h> has them.

const stat: Stat = { mode: 0o100644, uid: 0, gid: 0, size: 1, mtime: 0, atime: 0, ctime: 0 }
const cache = { entrySeconds: 1, attrSeconds: 1 }
const space = { bsize: 4096, frsize: 4096, blocks: 1, bfree: 1, bavail: 1, files: 1, ffree: 1, namemax: 255 }

t.test('every reply the encoders make is as long as protocol.ts says its structure is', async t => {
  t.equal(outHeader(0, 0, 1n).length, Size.OUT_HEADER)
  t.equal(entryOut(2, stat, cache).length, Size.ENTRY_OUT)
  t.equal(Size.ENTRY_OUT, 40 + Size.ATTR, 'fuse_entry_out: five 64-bit and two 32-bit fields before fuse_attr')
  t.equal(attrOut(2, stat, 1).length, Size.ATTR_OUT)
  t.equal(Size.ATTR_OUT, 16 + Size.ATTR, 'fuse_attr_out: validity before fuse_attr')
  t.equal(openOut(1, 0).length, Size.OPEN_OUT)
  t.equal(createOut(2, stat, cache, 1, 0).length, Size.ENTRY_OUT + Size.OPEN_OUT)
  t.equal(writeOut(1).length, Size.WRITE_OUT)
  t.equal(statfsOut(space).length, Size.STATFS_OUT)
  t.equal(xattrSizeOut(1).length, Size.GETXATTR_OUT)
  t.equal(initOut({ minor: 38, maxReadahead: 0, flags: 0, maxBackground: 1, congestionThreshold: 1, maxWrite: MAX_WRITE, maxPages: MAX_PAGES }).length, Size.INIT_OUT)
  t.equal(invalInode(2, true)[1]!.length, Size.NOTIFY_INVAL_INODE)
  t.equal(invalEntry(2, 'abc')[1]!.length, Size.NOTIFY_INVAL_ENTRY + 3 + 1, 'the name and its NUL after the fixed part')
  const entries = [{ name: 'a', ino: 1, mode: 0 }, { name: 'abcdefgh', ino: 2, mode: 0 }]
  t.equal(direntsOut(entries, 0, 4096, cache).length, (Size.DIRENT_BASE + 8) + (Size.DIRENT_BASE + 8), 'each dirent: its fixed part, the name padded to 8 bytes')
  t.equal(direntsOut(entries, 0, 4096, cache, () => ({ nodeid: 2, stat })).length, 2 * (Size.ENTRY_OUT + Size.DIRENT_BASE + 8), 'READDIRPLUS: an entry before each dirent')
})

/** A request with `args` after its in-header. */
function request (opcode: number, args: Buffer): Buffer {
  const buffer = Buffer.alloc(Size.IN_HEADER + args.length)
  buffer.writeUInt32LE(buffer.length, 0)
  buffer.writeUInt32LE(opcode, 4)
  args.copy(buffer, Size.IN_HEADER)
  return buffer
}

/** Each opcode with fixed arguments, and their size as protocol.ts states it. */
const FIXED: Array<[keyof typeof Opcode, number]> = [
  ['INIT', Size.INIT_IN_BASE], ['FORGET', Size.FORGET_IN], ['BATCH_FORGET', Size.BATCH_FORGET_IN], ['GETATTR', Size.GETATTR_IN],
  ['SETATTR', Size.SETATTR_IN], ['MKNOD', Size.MKNOD_IN], ['MKDIR', Size.MKDIR_IN], ['LINK', Size.LINK_IN], ['RENAME', Size.RENAME_IN],
  ['RENAME2', Size.RENAME2_IN], ['OPEN', Size.OPEN_IN], ['OPENDIR', Size.OPEN_IN], ['CREATE', Size.CREATE_IN], ['READ', Size.READ_IN],
  ['READDIR', Size.READ_IN], ['READDIRPLUS', Size.READ_IN], ['WRITE', Size.WRITE_IN], ['RELEASE', Size.RELEASE_IN],
  ['RELEASEDIR', Size.RELEASE_IN], ['FLUSH', Size.FLUSH_IN], ['FSYNC', Size.FSYNC_IN], ['FSYNCDIR', Size.FSYNC_IN],
  ['SETXATTR', Size.SETXATTR_IN], ['GETXATTR', Size.GETXATTR_IN], ['LISTXATTR', Size.GETXATTR_IN], ['ACCESS', Size.ACCESS_IN],
  ['INTERRUPT', Size.INTERRUPT_IN]
]

t.test('the decoder wants exactly the fixed arguments protocol.ts states, and no more', async t => {
  for (const [name, size] of FIXED) {
    const opcode = Opcode[name]
    t.throws(() => decodeRequest(request(opcode, Buffer.alloc(size - 1)), Size.IN_HEADER + size - 1), { name: 'ProtocolError', message: `FUSE protocol: opcode ${opcode}: ${size - 1} bytes of arguments, ${size} needed` }, `${name}: one byte short`)
    // The names that follow some of them, and a write's data, come after: give them as empty.
    const args = Buffer.alloc(size + 2)
    const decoded = decodeRequest(request(opcode, args), Size.IN_HEADER + args.length)
    t.not(decoded.args.kind, 'unknown', `${name}: decoded with ${size} bytes`)
  }
  t.throws(() => decodeRequest(Buffer.alloc(Size.IN_HEADER - 1), Size.IN_HEADER - 1), ProtocolError, 'shorter than the in-header')
})

t.test('the constants agree with one another', async t => {
  t.equal(HAS_RESEND_FLAG2, 2 ** 7, 'FUSE_HAS_RESEND is bit 39 of the flags: bit 7 of flags2')
  t.equal(UNIQUE_RESEND, 2n ** 63n)
  t.equal(MAX_WRITE, MAX_PAGES * 4096, 'the largest write is MAX_PAGES pages of 4 KiB')
  t.ok(REQUEST_BUFFER_SIZE >= Size.IN_HEADER + Size.WRITE_IN + MAX_WRITE, 'the largest write fits in the request buffer with its headers')
  t.ok(FUSE_OLDEST_MINOR_VERSION <= FUSE_KERNEL_MINOR_VERSION)
  const opcodes = Object.values(Opcode)
  t.equal(new Set(opcodes).size, opcodes.length, 'no two opcodes alike')
  for (const [setName, flags] of Object.entries({ InitFlag, SetattrValid, OpenFlag })) {
    const values: number[] = Object.values(flags)
    t.ok(values.every(v => v > 0 && (v & (v - 1)) === 0), `${setName}: single bits`)
    t.equal(new Set(values).size, values.length, `${setName}: no two alike`)
  }
  for (const value of Object.values(Size)) t.equal(value % 8, 0, 'every fixed part is a multiple of 8 bytes, as the kernel aligns them')
})

/** The uapi names of what protocol.ts defines, by its own names. */
function uapiNames (): Record<string, string> {
  const names: Record<string, string> = {
    FUSE_KERNEL_VERSION: 'FUSE_KERNEL_VERSION',
    ROOT_ID: 'FUSE_ROOT_ID',
    GETATTR_FH: 'FUSE_GETATTR_FH',
    RELEASE_FLUSH: 'FUSE_RELEASE_FLUSH',
    'Notify.INVAL_INODE': 'FUSE_NOTIFY_INVAL_INODE',
    'Notify.INVAL_ENTRY': 'FUSE_NOTIFY_INVAL_ENTRY'
  }
  for (const name of Object.keys(Opcode)) names[`Opcode.${name}`] = `FUSE_${name}`
  for (const name of Object.keys(InitFlag)) names[`InitFlag.${name}`] = `FUSE_${name}`
  for (const name of Object.keys(SetattrValid)) names[`SetattrValid.${name}`] = `FATTR_${name}`
  for (const name of Object.keys(OpenFlag)) names[`OpenFlag.${name}`] = `FOPEN_${name}`
  const structs: Record<string, string> = {
    IN_HEADER: 'sizeof(struct fuse_in_header)', OUT_HEADER: 'sizeof(struct fuse_out_header)',
    INIT_IN_BASE: '(offsetof(struct fuse_init_in, flags) + 4)', INIT_OUT: 'sizeof(struct fuse_init_out)',
    ATTR: 'sizeof(struct fuse_attr)', ENTRY_OUT: 'sizeof(struct fuse_entry_out)', ATTR_OUT: 'sizeof(struct fuse_attr_out)',
    OPEN_OUT: 'sizeof(struct fuse_open_out)', WRITE_OUT: 'sizeof(struct fuse_write_out)', STATFS_OUT: 'sizeof(struct fuse_statfs_out)',
    GETXATTR_OUT: 'sizeof(struct fuse_getxattr_out)', DIRENT_BASE: 'offsetof(struct fuse_dirent, name)',
    GETATTR_IN: 'sizeof(struct fuse_getattr_in)', SETATTR_IN: 'sizeof(struct fuse_setattr_in)', MKNOD_IN: 'sizeof(struct fuse_mknod_in)',
    MKDIR_IN: 'sizeof(struct fuse_mkdir_in)', RENAME_IN: 'sizeof(struct fuse_rename_in)', RENAME2_IN: 'sizeof(struct fuse_rename2_in)',
    LINK_IN: 'sizeof(struct fuse_link_in)', OPEN_IN: 'sizeof(struct fuse_open_in)', CREATE_IN: 'sizeof(struct fuse_create_in)',
    RELEASE_IN: 'sizeof(struct fuse_release_in)', FLUSH_IN: 'sizeof(struct fuse_flush_in)', READ_IN: 'sizeof(struct fuse_read_in)',
    WRITE_IN: 'sizeof(struct fuse_write_in)', FSYNC_IN: 'sizeof(struct fuse_fsync_in)',
    // Without FUSE_SETXATTR_EXT (never asked for), the kernel sends the old, shorter one.
    SETXATTR_IN: 'FUSE_COMPAT_SETXATTR_IN_SIZE', GETXATTR_IN: 'sizeof(struct fuse_getxattr_in)',
    ACCESS_IN: 'sizeof(struct fuse_access_in)', INTERRUPT_IN: 'sizeof(struct fuse_interrupt_in)', FORGET_IN: 'sizeof(struct fuse_forget_in)',
    BATCH_FORGET_IN: 'sizeof(struct fuse_batch_forget_in)', FORGET_ONE: 'sizeof(struct fuse_forget_one)',
    NOTIFY_INVAL_INODE: 'sizeof(struct fuse_notify_inval_inode_out)', NOTIFY_INVAL_ENTRY: 'sizeof(struct fuse_notify_inval_entry_out)'
  }
  for (const [name, expression] of Object.entries(structs)) names[`Size.${name}`] = expression
  return names
}

/** What protocol.ts says, by the same names as uapiNames(). */
function ours (): Record<string, number> {
  const values: Record<string, number> = {
    FUSE_KERNEL_VERSION: protocol.FUSE_KERNEL_VERSION,
    ROOT_ID: protocol.ROOT_ID,
    GETATTR_FH: protocol.GETATTR_FH,
    RELEASE_FLUSH: protocol.RELEASE_FLUSH,
    'Notify.INVAL_INODE': Notify.INVAL_INODE,
    'Notify.INVAL_ENTRY': Notify.INVAL_ENTRY
  }
  for (const [set, entries] of Object.entries({ Opcode, InitFlag, SetattrValid, OpenFlag, Size })) {
    for (const [name, value] of Object.entries(entries)) values[`${set}.${name}`] = value
  }
  return values
}

const HEADER = '/usr/include/linux/fuse.h'

const COMPILER = ['/usr/bin/cc', '/usr/bin/gcc'].find(candidate => existsSync(candidate))

t.test('every number and size is the kernel\'s, as <linux/fuse.h> has it', { skip: COMPILER && existsSync(HEADER) ? false : `needs a C compiler and ${HEADER}` }, async t => {
  const compiler = COMPILER!
  const names = uapiNames()
  const lines = Object.entries(names).map(([ours, theirs]) => `  printf("%s\\"${ours}\\": %llu", first ? "" : ",", (unsigned long long)(${theirs})); first = 0;`)
  // The newer notification, where the installed header is new enough to have it.
  const resend = [
    '#if FUSE_KERNEL_MINOR_VERSION >= 40',
    '  printf(",\\"Notify.RESEND\\": %llu,\\"HAS_RESEND_FLAG2\\": %llu", (unsigned long long)FUSE_NOTIFY_RESEND, (unsigned long long)(FUSE_HAS_RESEND >> 32));',
    '#endif'
  ]
  const source = ['#include <stddef.h>', '#include <stdio.h>', '#include <linux/fuse.h>', 'int main (void) {', '  int first = 1;', '  printf("{");', ...lines, ...resend, '  printf("}\\n");', '  return 0;', '}'].join('\n')
  const dir = tmp.dirSync({ unsafeCleanup: true })
  t.teardown(() => dir.removeCallback())
  const program = path.join(dir.name, 'facts')
  execFileSync(compiler, ['-x', 'c', '-', '-o', program], { input: source, stdio: ['pipe', 'ignore', 'pipe'] })
  const theirs = JSON.parse(execFileSync(program).toString()) as Record<string, number>
  const mine = ours()
  mine['Notify.RESEND'] = Notify.RESEND
  mine.HAS_RESEND_FLAG2 = HAS_RESEND_FLAG2
  for (const [name, value] of Object.entries(theirs)) t.equal(mine[name], value, name)
  t.ok(Object.keys(theirs).length >= Object.keys(names).length, 'every name was checked')
})
