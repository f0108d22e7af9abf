import { promises as fs } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import tmp from 'tmp'
import { mountFor, redisFor } from '../helpers/fixture'
import { run, sh } from '../../scripts/support/processes'
import { pollUntil } from '../../src/util/deadline'

/**
 * Owners, groups and modes stored with every topic and directory, and held by the kernel
 * (default_permissions, with --allow-other), for real users, in the manner of pjdfstest: two
 * mounts on one Redis, as two hosts would be, and `setpriv` for users who are not root.
 */

const NOBODY = 65534
const DAEMON = 1

/** Runs `command` in sh as `uid` (group the same, no other groups), with umask 022. */
async function as (uid: number, command: string): Promise<{ out: string, err: string, code: number | null }> {
  const result = await run('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', 'sh', '-c', `umask 022; ${command}`])
  return { out: result.stdout.toString(), err: result.stderr.toString(), code: result.code }
}

async function statOf (format: string, ...paths: string[]): Promise<string> {
  return (await run('stat', ['-c', format, ...paths])).stdout.toString()
}

const tick = (): Promise<void> => new Promise(resolve => setTimeout(resolve, 20))

t.test('a new entry belongs to the user who made it, with the mode it asked for less the umask; another mount sees the same', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server, { args: ['--allow-other'] })
  const b = await mountFor(t, server, { args: ['--allow-other'] })
  await sh(`chmod 1777 ${a.dir}`)
  t.equal(await statOf('%a %u', b.dir), '1777 0\n', 'the root\'s mode is stored too')

  const made = await as(NOBODY, `mkdir ${a.dir}/home && echo hello > ${a.dir}/home/notes && (umask 077; echo private > ${a.dir}/home/secret) && echo ok`)
  t.equal(made.out, 'ok\n', made.err)
  t.equal(await statOf('%u:%g %a %n', `${b.dir}/home`, `${b.dir}/home/notes`, `${b.dir}/home/secret`),
    `${NOBODY}:${NOBODY} 755 ${b.dir}/home\n${NOBODY}:${NOBODY} 644 ${b.dir}/home/notes\n${NOBODY}:${NOBODY} 600 ${b.dir}/home/secret\n`)

  t.equal((await as(DAEMON, `cat ${b.dir}/home/notes`)).out, 'hello\n', '644: others read')
  t.match((await as(DAEMON, `echo no >> ${b.dir}/home/notes`)).err, /Permission denied/, '644: others do not push')
  t.match((await as(DAEMON, `cat ${b.dir}/home/secret`)).err, /Permission denied/, '600: others do not read')
  t.match((await as(DAEMON, `echo x > ${b.dir}/home/new`)).err, /Permission denied/, '755 directory: others make nothing in it')
  t.match((await as(DAEMON, `rm ${b.dir}/home/notes`)).err, /Permission denied/, 'nor remove from it')
  t.equal((await as(NOBODY, `echo more >> ${b.dir}/home/notes && cat ${b.dir}/home/notes`)).out, 'hello\nmore\n', 'the owner pushes on the other mount')
})

t.test('chmod, chown and chgrp on one mount take effect on the other at once; the kernel decides who may', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server, { args: ['--allow-other'] })
  const b = await mountFor(t, server, { args: ['--allow-other'] })
  await sh(`mkdir ${a.dir}/app && echo first > ${a.dir}/app/events`)
  t.equal(await statOf('%u:%g %a', `${b.dir}/app`, `${b.dir}/app/events`), '0:0 755\n0:0 644\n', 'made by root')
  t.match((await as(NOBODY, `echo x >> ${b.dir}/app/events`)).err, /Permission denied/)

  await sh(`chown -R ${NOBODY}:${NOBODY} ${a.dir}/app`)
  t.equal(await statOf('%u:%g %a', `${b.dir}/app`, `${b.dir}/app/events`), `${NOBODY}:${NOBODY} 755\n${NOBODY}:${NOBODY} 644\n`)
  const pushed = await as(NOBODY, `echo from-nobody >> ${b.dir}/app/events && mkdir ${b.dir}/app/out && echo ok`)
  t.equal(pushed.out, 'ok\n', `after chown the new owner pushes and makes directories: ${pushed.err}`)

  await as(NOBODY, `chmod 640 ${a.dir}/app/events`)
  t.equal(await statOf('%a', `${b.dir}/app/events`), '640\n', 'the owner\'s chmod')
  t.match((await as(DAEMON, `cat ${b.dir}/app/events`)).err, /Permission denied/, 'holds on the other mount')
  t.match((await as(DAEMON, `chmod 666 ${a.dir}/app/events`)).err, /Operation not permitted/, 'only the owner may chmod')
  t.match((await as(NOBODY, `chown ${DAEMON} ${a.dir}/app/events`)).err, /Operation not permitted/, 'only root gives a file away')
  await sh(`chgrp ${DAEMON} ${a.dir}/app/events`)
  t.equal((await as(DAEMON, `cat ${b.dir}/app/events`)).out, 'first\nfrom-nobody\n', 'chgrp: the group reads it (640)')
  t.equal(await statOf('%u:%g %a', `${b.dir}/app/events`), `${NOBODY}:${DAEMON} 640\n`)
  // The kernel checks b's held attributes of app/out on every path through it: a's chmod of
  // that directory must reach b before the next check.
  t.match((await as(DAEMON, `ls ${b.dir}/app/out > /dev/null && echo x > ${b.dir}/app/out/t`)).err, /Permission denied/, 'b holds app/out as 755')
  await as(NOBODY, `chmod 777 ${a.dir}/app/out`)
  t.equal((await as(DAEMON, `echo x > ${b.dir}/app/out/t && echo ok`)).out, 'ok\n', 'a directory\'s chmod on a holds on b at once')
  await as(NOBODY, `chmod 755 ${a.dir}/app/out`)
  t.match((await as(DAEMON, `echo y > ${b.dir}/app/out/u`)).err, /Permission denied/, 'and back')
  t.match((await as(NOBODY, `chmod 600 ${a.dir}/app/out && echo nope > ${a.dir}/.follow/app/events`)).err, /Read-only file system|Permission denied/, 'views stay read-only')
  t.equal(await statOf('%a', `${b.dir}/.follow/app/events`), '440\n', 'a view shows the mode without write bits')
})

t.test('the sticky bit keeps others from removing or renaming what they do not own', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server, { args: ['--allow-other'] })
  await sh(`mkdir -m 1777 ${a.dir}/tmp`)
  t.equal(await statOf('%A', `${a.dir}/tmp`), 'drwxrwxrwt\n')
  t.equal((await as(NOBODY, `echo mine > ${a.dir}/tmp/nobodys && mkdir ${a.dir}/tmp/nobodydir && echo ok`)).out, 'ok\n')
  t.equal((await as(DAEMON, `echo theirs > ${a.dir}/tmp/daemons && echo ok`)).out, 'ok\n', 'anybody makes entries')
  t.match((await as(DAEMON, `rm -f ${a.dir}/tmp/nobodys`)).err, /Operation not permitted/, 'not another user\'s topic')
  t.match((await as(DAEMON, `mv ${a.dir}/tmp/nobodys ${a.dir}/tmp/stolen`)).err, /Operation not permitted/, 'nor renames it')
  t.match((await as(DAEMON, `rmdir ${a.dir}/tmp/nobodydir`)).err, /Operation not permitted/, 'nor removes their directory')
  t.equal((await sh(`ls ${a.dir}/tmp`)).stdout.toString(), 'daemons\nnobodydir\nnobodys\n', 'all still there')
  t.equal((await as(NOBODY, `rm ${a.dir}/tmp/nobodys && rmdir ${a.dir}/tmp/nobodydir && echo ok`)).out, 'ok\n', 'the owner removes their own')
  t.equal((await as(DAEMON, `mv ${a.dir}/tmp/daemons ${a.dir}/tmp/renamed && echo ok`)).out, 'ok\n', 'and renames their own')
  await sh(`chmod 777 ${a.dir}/tmp`)
  t.equal((await as(NOBODY, `rm -f ${a.dir}/tmp/renamed && echo ok`)).out, 'ok\n', 'without the sticky bit a writable directory lets anybody remove')
})

t.test('a setgid directory gives what is made in it its group, as Linux filesystems do', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server, { args: ['--allow-other'] })
  const b = await mountFor(t, server, { args: ['--allow-other'] })
  await sh(`chmod 1777 ${a.dir} && mkdir -m 2777 ${a.dir}/team && chgrp ${DAEMON} ${a.dir}/team && chmod 2777 ${a.dir}/team`)
  const made = await as(NOBODY, `echo x > ${a.dir}/team/notes && mkdir ${a.dir}/team/sub && echo ok`)
  t.equal(made.out, 'ok\n', made.err)
  t.equal(await statOf('%u:%g %A %n', `${b.dir}/team/notes`, `${b.dir}/team/sub`),
    `${NOBODY}:${DAEMON} -rw-r--r-- ${b.dir}/team/notes\n${NOBODY}:${DAEMON} drwxr-sr-x ${b.dir}/team/sub\n`,
    'the group is the directory\'s; a new directory keeps the bit')
  await as(NOBODY, `echo y > ${a.dir}/mine`)
  t.equal(await statOf('%g', `${b.dir}/mine`), `${NOBODY}\n`, 'elsewhere the maker\'s group')
})

t.test('a directory\'s mtime and ctime change when an entry is added, removed or renamed; chmod changes a ctime only', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server)
  const b = await mountFor(t, server)
  await sh(`mkdir ${a.dir}/d`)
  const times = async (p: string): Promise<[number, number]> => {
    const [m, c] = (await statOf('%.9Y %.9Z', p)).trim().split(' ').map(Number)
    return [m!, c!]
  }
  const moves = async (step: string, what: string): Promise<void> => {
    const [m0] = await times(`${b.dir}/d`)
    await tick()
    await sh(step)
    const [m1, c1] = await times(`${b.dir}/d`)
    t.ok(m1 > m0 && c1 >= m1, `${what}: mtime ${m0} -> ${m1}`)
  }
  await moves(`echo x > ${a.dir}/d/t`, 'a topic created')
  await moves(`mv ${a.dir}/d/t ${a.dir}/d/u`, 'renamed')
  await moves(`rm ${a.dir}/d/u`, 'removed')
  await moves(`mkdir ${a.dir}/d/e`, 'a directory made')
  await moves(`rmdir ${a.dir}/d/e`, 'and removed')

  await sh(`echo x > ${a.dir}/d/t`)
  const [tm, tc] = await times(`${b.dir}/d/t`)
  await tick()
  await sh(`chmod 600 ${a.dir}/d/t`)
  // Mount b hears of the change from Redis, within a millisecond or so of it; a stat that
  // outruns that on a loaded machine sees the old times, so the new ones are waited for.
  let [tm2, tc2] = await times(`${b.dir}/d/t`)
  await pollUntil(async () => { [tm2, tc2] = await times(`${b.dir}/d/t`); return tc2 > tc }, { timeoutMs: 2000, intervalMs: 5 })
  t.equal(tm2, tm, 'chmod leaves a topic\'s mtime')
  t.ok(tc2 > tc, 'and moves its ctime')
})

t.test('cp -p and rsync -a into the mount keep modes', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server, { args: ['--allow-other'] })
  const src = tmp.dirSync({ prefix: 'dnpipes-src-', unsafeCleanup: true })
  t.teardown(() => src.removeCallback())
  await fs.mkdir(path.join(src.name, 'tree/sub'), { recursive: true })
  await fs.writeFile(path.join(src.name, 'tree/one'), 'one\n')
  await fs.writeFile(path.join(src.name, 'tree/sub/two'), 'two\n')
  await sh(`cd ${src.name}/tree && chmod 640 one && chmod 604 sub/two && chmod 750 sub`)
  await sh(`cp -p ${src.name}/tree/one ${a.dir}/copied`)
  t.equal(await statOf('%a', `${a.dir}/copied`), '640\n', 'cp -p')
  t.equal((await sh(`cat ${a.dir}/copied`)).stdout.toString(), 'one\n')

  const synced = await run('rsync', ['-a', `${src.name}/tree/`, `${a.dir}/synced/`])
  t.equal(synced.code, 0, synced.stderr.toString())
  t.equal(await statOf('%a %n', `${a.dir}/synced/one`, `${a.dir}/synced/sub`, `${a.dir}/synced/sub/two`),
    `640 ${a.dir}/synced/one\n750 ${a.dir}/synced/sub\n604 ${a.dir}/synced/sub/two\n`, 'rsync -a')
  t.equal((await sh(`cat ${a.dir}/synced/sub/two`)).stdout.toString(), 'two\n')
})

t.test('entries made before ownership was stored show the mount\'s --uid, --gid and --umask, as they did', async t => {
  const server = await redisFor(t)
  const redis = server.client()
  t.teardown(() => redis.quit())
  const a = await mountFor(t, server, { args: ['--allow-other', '--uid', String(NOBODY), '--gid', String(NOBODY)] })
  t.equal(await statOf('%u:%g %a', a.dir), `${NOBODY}:${NOBODY} 755\n`, 'the root, never changed, is the shown owner\'s')
  const made = await as(NOBODY, `mkdir ${a.dir}/app && echo first > ${a.dir}/app/events && echo ok`)
  t.equal(made.out, 'ok\n', `so that user makes entries there: ${made.err}`)
  await sh(`echo root > ${a.dir}/app/roots`)
  // As a version before this one left them: no owner, group or mode stored.
  await redis.hdel('dnpipes:{app/roots}:meta', 'owner', 'group', 'mode')
  await redis.del('dnpipes:{app}:attrs')
  t.equal(await statOf('%u:%g %a', `${a.dir}/app`, `${a.dir}/app/roots`), `${NOBODY}:${NOBODY} 755\n${NOBODY}:${NOBODY} 644\n`)
  t.equal((await as(NOBODY, `echo more >> ${a.dir}/app/roots && echo ok`)).out, 'ok\n')
  t.match((await as(DAEMON, `echo no >> ${a.dir}/app/roots`)).err, /Permission denied/)
})
