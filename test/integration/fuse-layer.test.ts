import fs from 'node:fs'
import path from 'node:path'
import t, { Test } from 'tap'
import tmp from 'tmp'
import { MountedDir, serveMount } from '../../scripts/support/mount'
import { bash, run, sh } from '../../scripts/support/processes'
import { sleep } from '../../src/util/deadline'
import type { MemoryFsStats } from '../helpers/memory-fs'

// The FUSE layer of our own (native/ and src/fuse/), on its own: the memory filesystem of
// test/helpers served through it in a child process, and real tools on the mount.

const SERVER = path.join(__dirname, '../helpers/serve-memory-fs.js')
/** Set by fuse-layer-asan.test.ts: the sanitizer's runtime, preloaded into the servers only. */
const PRELOAD = process.env.DNPIPES_TEST_SERVER_PRELOAD

async function serve (t: Test, options: { mountOptions?: string, env?: NodeJS.ProcessEnv, dir?: string, command?: string[] } = {}): Promise<MountedDir> {
  const dir = options.dir ?? tmp.dirSync({ prefix: 'dnpipes-fuse-' }).name
  const command = options.command ?? [process.execPath, SERVER, dir, ...(options.mountOptions ? [options.mountOptions] : [])]
  const mounted = await serveMount(dir, command, 'ready', { ...process.env, ...(PRELOAD ? { LD_PRELOAD: PRELOAD } : {}), ...options.env })
  t.teardown(() => mounted.stop())
  return mounted
}

async function statsOf (dir: string): Promise<MemoryFsStats> {
  return JSON.parse((await run('cat', [`${dir}/.stats`])).stdout.toString()) as MemoryFsStats
}

t.test('everyday tools on the mount: files, directories, renames, modes, owners, times, sizes, space', async t => {
  const { dir } = await serve(t)
  t.equal((await sh(`echo hello > ${dir}/a && echo world >> ${dir}/a && cat ${dir}/a`)).stdout.toString(), 'hello\nworld\n')
  t.equal((await sh(`stat -c '%s %F %a' ${dir}/a`)).stdout.toString(), '12 regular file 644\n')
  t.equal((await sh(`mkdir ${dir}/d && mv ${dir}/a ${dir}/d/b && ls ${dir}/d && cat ${dir}/d/b`)).stdout.toString(), 'b\nhello\nworld\n')
  t.equal((await sh(`ls -A ${dir}`)).stdout.toString(), 'blocking\nd\nheld\nkept\n')
  t.equal((await sh(`mv ${dir}/d ${dir}/e && cat ${dir}/e/b`)).stdout.toString(), 'hello\nworld\n', 'a renamed directory takes what is in it along')
  t.match((await bash(`rmdir ${dir}/e`)).stderr, /Directory not empty/)
  t.equal((await sh(`chmod 600 ${dir}/e/b && chown 1000:100 ${dir}/e/b && touch -d '2001-02-03 04:05:06Z' ${dir}/e/b && stat -c '%a %u %g %Y' ${dir}/e/b`)).stdout.toString(), '600 1000 100 981173106\n')
  t.equal((await sh(`truncate -s 3 ${dir}/e/b && cat ${dir}/e/b`)).stdout.toString(), 'hel')
  t.equal((await sh(`: > ${dir}/e/b && stat -c %s ${dir}/e/b`)).stdout.toString(), '0\n', 'an O_TRUNC open empties it')
  t.equal((await sh(`rm ${dir}/e/b && rmdir ${dir}/e && ls ${dir}`)).stdout.toString(), 'blocking\nheld\nkept\n')
  t.match((await bash(`cat ${dir}/nothing`)).stderr, /No such file or directory/)
  t.match((await sh(`df -k ${dir} | tail -1`)).stdout.toString(), /^memoryfs +4000 +2000 +2000 +50%/)
  t.match((await bash(`ln -s a ${dir}/link`)).stderr, /Operation not permitted/, 'an operation the filesystem lacks is refused')
  const created = (await statsOf(dir)).created
  t.same(created[0], { path: '/a', uid: 0, gid: 0, umask: 0o022 }, 'the caller and its umask reach the operation')
})

t.test('names of 255 bytes, not of 256; a name that is not UTF-8 is refused; binary data of 3 MB in 1 MiB writes and reads', async t => {
  const { dir } = await serve(t)
  const long = 'n'.repeat(255)
  t.equal((await sh(`echo x > ${dir}/${long} && cat ${dir}/${long}`)).stdout.toString(), 'x\n')
  t.match((await bash(`echo x > ${dir}/${long}n`)).stderr, /File name too long/)
  const notUtf8 = await run('python3', ['-c', `import os\ntry:\n  open(os.path.join(b${JSON.stringify(dir)}, b'\\xff'), 'w')\nexcept OSError as e:\n  print(e.errno)`])
  t.equal(notUtf8.stdout.toString(), '84\n', 'EILSEQ')
  const result = await bash(`head -c 3000000 /dev/urandom > ${dir}/../in.$$ && dd if=${dir}/../in.$$ of=${dir}/bin bs=1M status=none && dd if=${dir}/bin bs=1M iflag=direct status=none | cmp - ${dir}/../in.$$ && echo same; rm -f ${dir}/../in.$$`)
  t.equal(result.stdout.toString(), 'same\n', result.stderr)
  const stats = await statsOf(dir)
  t.equal(stats.largestWrite, 1 << 20, 'writes arrive in 1 MiB')
  t.equal(stats.largestRead, 1 << 20, 'and reads are asked in 1 MiB')
})

t.test('extended attributes: set, get, list, remove; a small buffer gets ERANGE, a missing name ENODATA', async t => {
  const { dir } = await serve(t)
  await sh(`touch ${dir}/f`)
  t.equal((await sh(`setfattr -n user.color -v blue ${dir}/f && getfattr --only-values -n user.color ${dir}/f`)).stdout.toString(), 'blue')
  t.equal((await sh(`getfattr -d --absolute-names ${dir}/f | grep user`)).stdout.toString(), 'user.color="blue"\n')
  const small = await run('python3', ['-c', `import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nbuf = ctypes.create_string_buffer(2)\nn = libc.getxattr(b${JSON.stringify(dir)} + b'/f', b'user.color', buf, 2)\nprint(n, ctypes.get_errno())`])
  t.equal(small.stdout.toString(), '-1 34\n', 'ERANGE for a buffer of 2')
  t.match((await sh(`getfattr -n user.none ${dir}/f`)).stderr, /No such attribute/)
  t.equal((await sh(`setfattr -x user.color ${dir}/f && getfattr -d ${dir}/f`)).stdout.toString(), '')
})

t.test('a thousand reads in flight at once, all answered', async t => {
  const { dir } = await serve(t, { env: { HOLD_COUNT: '1000' } })
  await sh(`echo held > ${dir}/held/file`)
  const result = await sh(`for i in $(seq 1000); do cat ${dir}/held/file & done; wait`, { timeoutMs: 60_000 })
  t.equal(result.stdout.toString(), 'held\n'.repeat(1000))
  t.equal((await statsOf(dir)).mostReadsWaiting, 1000, 'the filesystem saw all 1000 waiting together')
})

t.test('lookups of names whose attributes are kept are answered by the reader until they change: 1500 names of 1 to 253 bytes (more than the reader\'s table starts with)', async t => {
  const { dir } = await serve(t)
  const names = Array.from({ length: 1500 }, (_, i) => 'k'.repeat(i % 250) + String(i))
  for (const name of names) fs.writeFileSync(`${dir}/kept/${name}`, 'x')
  const sizes = (): number[] => names.map(name => fs.statSync(`${dir}/kept/${name}`).size)
  const asked = async (): Promise<number> => (await statsOf(dir)).keptAsked
  // Each name's second in the kernel runs out: the lookups after it reach the filesystem, whose
  // answers the reader holds; after the next second, the reader answers them all. Another test
  // writing drop_caches meanwhile makes the kernel forget the nodes, and the reader with it: a
  // round may be taken again, up to three.
  await sleep(1100)
  t.same(sizes(), names.map(() => 1))
  let reached = -1
  for (let round = 0; round < 3 && reached !== 0; round++) {
    await sleep(1100)
    const before = await asked()
    t.same(sizes(), names.map(() => 1))
    reached = await asked() - before
  }
  t.equal(reached, 0, 'a round of 1500 lookups, none of which reached the filesystem')

  const [first, second, third] = names as [string, string, string]
  fs.appendFileSync(`${dir}/kept/${first}`, 'yz')
  t.equal(fs.statSync(`${dir}/kept/${first}`).size, 3, 'a write, seen by the stat right after it')
  await sleep(1100)
  t.equal(fs.statSync(`${dir}/kept/${first}`).size, 3, 'and by the lookup after the name\'s second')
  fs.rmSync(`${dir}/kept/${second}`)
  t.throws(() => fs.statSync(`${dir}/kept/${second}`), { code: 'ENOENT' }, 'a removed name is not answered from what was held')
  fs.renameSync(`${dir}/kept/${third}`, `${dir}/kept/moved`)
  t.throws(() => fs.statSync(`${dir}/kept/${third}`), { code: 'ENOENT' }, 'nor a name renamed away')
  t.equal(fs.statSync(`${dir}/kept/moved`).size, 1)
  // The kernel forgets every node it can, giving back the references the reader made too.
  fs.writeFileSync('/proc/sys/vm/drop_caches', '2')
  t.equal(fs.statSync(`${dir}/kept/${first}`).size, 3, 'after the kernel forgot the nodes')
  t.same(names.slice(3).map(name => fs.statSync(`${dir}/kept/${name}`).size), names.slice(3).map(() => 1))
})

t.test('a signal to a reader blocked in the filesystem interrupts its request, and the mount goes on', async t => {
  const { dir } = await serve(t)
  const started = Date.now()
  const blocked = await sh(`exec timeout -s INT 0.5 cat ${dir}/blocking`)
  t.equal(blocked.code, 124, 'cat ended by the signal')
  t.ok(Date.now() - started < 5000, 'at once, not at a timeout')
  t.equal((await statsOf(dir)).interrupted, 1, 'the operation saw its request interrupted')
  t.equal((await sh(`echo still > ${dir}/x && cat ${dir}/x`)).stdout.toString(), 'still\n')
})

t.test('a clone of the connection serves while its own descriptor is paused; closed, the kernel fails what it held with ECONNABORTED', async t => {
  const { dir, daemon } = await serve(t, { env: { SERVE_THROUGH_CLONE: '1' } })
  t.equal((await sh(`echo through > ${dir}/c && cat ${dir}/c`)).stdout.toString(), 'through\n', 'served through the clone')
  const blocked = sh(`cat ${dir}/blocking`)
  await sleep(300)
  daemon.kill('SIGUSR2')
  const ended = await blocked
  t.match(ended.stderr, /Software caused connection abort/, 'the read the closed clone held failed')
  t.equal((await sh(`echo again > ${dir}/d && cat ${dir}/d ${dir}/c`)).stdout.toString(), 'again\nthrough\n', 'the next clone serves')
})

t.test('an unknown mount option fails the mount, naming it; SIGTERM unmounts cleanly', async t => {
  const dir = tmp.dirSync({ prefix: 'dnpipes-fuse-' }).name
  t.teardown(() => sh(`rmdir ${dir}`))
  const refused = await run(process.execPath, [SERVER, dir, 'no_such_option'], { env: { ...process.env, ...(PRELOAD ? { LD_PRELOAD: PRELOAD } : {}) } })
  t.equal(refused.code, 1)
  t.match(refused.stderr, /unknown option.*no_such_option/)
  const mounted = await serve(t, { dir })
  t.equal(await mounted.stop(), 0, 'the server exits 0 on SIGTERM')
  t.equal((await sh(`grep -c " ${dir} " /proc/mounts`)).stdout.toString(), '0\n', 'and nothing is left mounted')
})

t.test('a killed server leaves a mount that says so (ENOTCONN), which a lazy unmount clears', async t => {
  const mounted = await serve(t)
  mounted.daemon.kill('SIGKILL')
  await mounted.exited
  t.match((await bash(`stat ${mounted.dir}`)).stderr, /Transport endpoint is not connected/)
  t.equal((await run('fusermount', ['-uz', mounted.dir])).code, 0)
})

t.test('serving a /dev/fuse descriptor that another process mounted (/dev/fd/N)', async t => {
  const dir = tmp.dirSync({ prefix: 'dnpipes-fuse-' }).name
  // The shell opens the device and mounts with it (mount -i: no helper), then becomes the server,
  // which finds the connection at /dev/fd/3.
  const script = `exec 3<>/dev/fuse && mount -i -t fuse.memoryfs -o fd=3,rootmode=40000,user_id=0,group_id=0 memoryfs ${dir} && exec ${process.execPath} ${SERVER} /dev/fd/3`
  await serve(t, { dir, command: ['bash', '-c', script] })
  t.equal((await sh(`echo passed > ${dir}/f && cat ${dir}/f && grep -c " ${dir} fuse.memoryfs " /proc/mounts`)).stdout.toString(), 'passed\n1\n')
})

t.test('a user other than root mounts through fusermount3, owns what it creates, and unmounts on SIGTERM', async t => {
  // libfuse opens /dev/fuse itself before it calls fusermount3, so the device must be open to
  // users, as udev makes it (crw-rw-rw-); this machine's may be root's only.
  const mode = fs.statSync('/dev/fuse').mode & 0o777
  if (mode !== 0o666) {
    fs.chmodSync('/dev/fuse', 0o666)
    t.teardown(() => fs.chmodSync('/dev/fuse', mode))
  }
  const dir = tmp.dirSync({ prefix: 'dnpipes-fuse-' }).name
  fs.chownSync(dir, 65534, 65534)
  // Without tap's NODE_OPTIONS (its hooks write where nobody may not); the sanitizer's runtime
  // named again, since su, being setuid, drops LD_PRELOAD.
  const server = `exec env -u NODE_OPTIONS ${PRELOAD ? `LD_PRELOAD=${PRELOAD} ` : ''}${process.execPath} ${SERVER} ${dir}`
  const mounted = await serve(t, { dir, command: ['su', '-s', '/bin/sh', 'nobody', '-c', server] })
  t.match((await sh(`grep " ${dir} " /proc/mounts`)).stdout.toString(), /fuse\.memoryfs .*user_id=65534,group_id=65534/, 'mounted by the user')
  const asNobody = (script: string): Promise<string> => sh(`su -s /bin/sh nobody -c '${script}'`).then(result => result.stdout.toString() + result.stderr)
  t.equal(await asNobody(`echo mine > ${dir}/f && cat ${dir}/f && stat -c %U ${dir}/f`), 'mine\nnobody\n')
  t.match((await bash(`ls ${dir}`)).stderr, /Permission denied/, 'without allow_other even root stays out')
  // su passes the signal on to the server and ends by it itself.
  mounted.daemon.kill('SIGTERM')
  await mounted.exited
  t.equal((await sh(`grep -c " ${dir} " /proc/mounts`)).stdout.toString(), '0\n', 'fusermount3 unmounted it')
})
