import fc from 'fast-check'
import t from 'tap'
import { Opcode, Size } from '../../../src/fuse/protocol'
import { decodeRequest, ProtocolError } from '../../../src/fuse/request'

/** A request as the kernel lays it out: the in-header, then `args`. */
function request (opcode: number, args: Buffer, header: { unique?: bigint, nodeid?: number, uid?: number, gid?: number, pid?: number } = {}): Buffer {
  const buffer = Buffer.alloc(Size.IN_HEADER + args.length)
  buffer.writeUInt32LE(buffer.length, 0)
  buffer.writeUInt32LE(opcode, 4)
  buffer.writeBigUInt64LE(header.unique ?? 7n, 8)
  buffer.writeBigUInt64LE(BigInt(header.nodeid ?? 1), 16)
  buffer.writeUInt32LE(header.uid ?? 1000, 24)
  buffer.writeUInt32LE(header.gid ?? 100, 28)
  buffer.writeUInt32LE(header.pid ?? 4242, 32)
  args.copy(buffer, Size.IN_HEADER)
  return buffer
}

const decode = (buffer: Buffer) => decodeRequest(buffer, buffer.length)
const name = (text: string): Buffer => Buffer.concat([Buffer.from(text), Buffer.from([0])])

t.test('the header: opcode, unique (all 64 bits), node, caller', async t => {
  const decoded = decode(request(Opcode.LOOKUP, name('jobs'), { unique: (1n << 63n) | 5n, nodeid: 9, uid: 65534, gid: 65534, pid: 77 }))
  t.match(decoded, { opcode: Opcode.LOOKUP, unique: (1n << 63n) | 5n, nodeid: 9, uid: 65534, gid: 65534, pid: 77, args: { kind: 'lookup', name: 'jobs' } })
})

t.test('a name that is not UTF-8 comes out undefined (answered EILSEQ), a name without its NUL is refused', async t => {
  t.same(decode(request(Opcode.LOOKUP, Buffer.from([0xff, 0xfe, 0]))).args, { kind: 'lookup', name: undefined })
  t.throws(() => decode(request(Opcode.LOOKUP, Buffer.from('jobs'))), ProtocolError)
})

t.test('a request shorter than its fixed arguments, or than its header says, is refused', async t => {
  t.throws(() => decode(request(Opcode.READ, Buffer.alloc(Size.READ_IN - 1))), ProtocolError)
  const lying = request(Opcode.GETATTR, Buffer.alloc(Size.GETATTR_IN))
  lying.writeUInt32LE(lying.length + 1, 0)
  t.throws(() => decode(lying), /header saying/)
  t.throws(() => decodeRequest(Buffer.alloc(100), 20), /a request of 20 bytes/)
  t.throws(() => decodeRequest(Buffer.alloc(10), 40), ProtocolError, 'a length beyond the buffer')
})

t.test('a write whose size runs past the request is refused; its data is copied out of the buffer', async t => {
  const args = Buffer.alloc(Size.WRITE_IN + 5)
  args.writeBigUInt64LE(3n, 0)
  args.writeBigUInt64LE(4096n, 8)
  args.writeUInt32LE(5, 16)
  Buffer.from('hello').copy(args, Size.WRITE_IN)
  const buffer = request(Opcode.WRITE, args)
  const decoded = decode(buffer)
  t.match(decoded.args, { kind: 'write', fh: 3, offset: 4096 })
  buffer.fill(0)
  t.equal((decoded.args as { data: Buffer }).data.toString(), 'hello', 'still there after the buffer is reused')
  args.writeUInt32LE(6, 16)
  t.throws(() => decode(request(Opcode.WRITE, args)), /payload of 6 bytes/)
})

t.test('INIT from an older kernel has no flags2', async t => {
  const args = Buffer.alloc(Size.INIT_IN_BASE)
  args.writeUInt32LE(7, 0)
  args.writeUInt32LE(31, 4)
  args.writeUInt32LE(131072, 8)
  args.writeUInt32LE(0x1234, 12)
  t.same(decode(request(Opcode.INIT, args)).args, { kind: 'init', major: 7, minor: 31, maxReadahead: 131072, flags: 0x1234, flags2: 0 })
})

t.test('create, mkdir, rename, setxattr, getxattr, batch forget and setattr arguments', async t => {
  const create = Buffer.alloc(Size.CREATE_IN)
  create.writeUInt32LE(0o101, 0)
  create.writeUInt32LE(0o100644, 4)
  create.writeUInt32LE(0o022, 8)
  t.same(decode(request(Opcode.CREATE, Buffer.concat([create, name('t')]))).args, { kind: 'create', flags: 0o101, mode: 0o100644, umask: 0o022, name: 't' })
  const mkdir = Buffer.alloc(Size.MKDIR_IN)
  mkdir.writeUInt32LE(0o755, 0)
  mkdir.writeUInt32LE(0o077, 4)
  t.same(decode(request(Opcode.MKDIR, Buffer.concat([mkdir, name('ns')]))).args, { kind: 'mkdir', mode: 0o755, umask: 0o077, name: 'ns' })
  const rename2 = Buffer.alloc(Size.RENAME2_IN)
  rename2.writeBigUInt64LE(12n, 0)
  rename2.writeUInt32LE(1, 8)
  t.same(decode(request(Opcode.RENAME2, Buffer.concat([rename2, name('a'), name('b')]))).args, { kind: 'rename', newParent: 12, flags: 1, name: 'a', newName: 'b' })
  const setxattr = Buffer.alloc(Size.SETXATTR_IN)
  setxattr.writeUInt32LE(3, 0)
  t.same(decode(request(Opcode.SETXATTR, Buffer.concat([setxattr, name('user.x'), Buffer.from('abc')]))).args, { kind: 'setxattr', name: 'user.x', flags: 0, value: Buffer.from('abc') })
  const getxattr = Buffer.alloc(Size.GETXATTR_IN)
  getxattr.writeUInt32LE(64, 0)
  t.same(decode(request(Opcode.GETXATTR, Buffer.concat([getxattr, name('user.x')]))).args, { kind: 'getxattr', size: 64, name: 'user.x' })
  const forget = Buffer.alloc(Size.BATCH_FORGET_IN + 2 * Size.FORGET_ONE)
  forget.writeUInt32LE(2, 0)
  forget.writeBigUInt64LE(5n, 8)
  forget.writeBigUInt64LE(1n, 16)
  forget.writeBigUInt64LE(6n, 24)
  forget.writeBigUInt64LE(3n, 32)
  t.same(decode(request(Opcode.BATCH_FORGET, forget)).args, { kind: 'forget', forgets: [{ nodeid: 5, nlookup: 1 }, { nodeid: 6, nlookup: 3 }] })
  forget.writeUInt32LE(3, 0)
  t.throws(() => decode(request(Opcode.BATCH_FORGET, forget)), ProtocolError, 'a count beyond the request')
  t.same(decode(request(Opcode.FORGET, Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), { nodeid: 8 })).args, { kind: 'forget', forgets: [{ nodeid: 8, nlookup: 2 }] })
  const setattr = Buffer.alloc(Size.SETATTR_IN)
  setattr.writeUInt32LE(0b101000, 0)
  setattr.writeBigUInt64LE(10n, 16)
  setattr.writeBigUInt64LE(1700000000n, 40)
  setattr.writeUInt32LE(500_000_000, 60)
  t.match(decode(request(Opcode.SETATTR, setattr)).args, { kind: 'setattr', valid: 0b101000, size: 10, mtimeMs: 1700000000500 })
})

t.test('an opcode this layer does not know is decoded as unknown (answered ENOSYS)', async t => {
  t.same(decode(request(4000, Buffer.alloc(0))).args, { kind: 'unknown' })
})

t.test('any bytes at all: decoding returns a request or throws a ProtocolError, nothing else', async t => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 52 }), fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 3 }), (opcode, bytes, extensions) => {
    const buffer = request(opcode, Buffer.from(bytes))
    buffer.writeUInt16LE(extensions, 36)
    try {
      decode(buffer)
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err
    }
  }), { numRuns: 5000 })
  t.pass()
})
