import t from 'tap'
import { mountFor, redisFor } from '../helpers/fixture'
import { sh } from '../../scripts/support/processes'

// Every-day shell tools on a real mount.

t.test('echo, cat, truncate, rm: push, replay, reset, delete', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server)
  const run = (script: string) => sh(script, { cwd: dir })

  t.equal((await run('echo hello > jobs && echo more >> jobs && cat jobs')).stdout.toString(), 'hello\nmore\n')
  t.equal((await run('echo again > jobs; cat jobs')).stdout.toString(), 'hello\nmore\nagain\n', '> appends: O_TRUNC is ignored by default')
  t.equal((await run('stat -c %s jobs')).stdout.toString(), '17\n')
  t.equal((await run('truncate -s 0 jobs && stat -c %s jobs && cat jobs')).stdout.toString(), '0\n')
  t.equal((await run('echo after-reset >> jobs; cat jobs')).stdout.toString(), 'after-reset\n')
  const rm = await run('rm jobs; ls; cat jobs')
  t.equal(rm.stdout.toString(), '')
  t.match(rm.stderr, /No such file/)
})

t.test('directories, touch, mv, cp, cp -p, ls -l, find, du, df', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server)
  const run = (script: string) => sh(script, { cwd: dir })

  t.equal((await run('mkdir -p team/a && echo o1 > team/a/orders && touch team/empty && ls team && ls team/a')).stdout.toString(), 'a\nempty\norders\n')
  t.equal((await run('mv team/a/orders team/orders2 && cat team/orders2 && ls team/a')).stdout.toString(), 'o1\n')
  t.equal((await run('seq 1 1000 > /tmp/dnpipes-seq-$$ && cp /tmp/dnpipes-seq-$$ nums && cp -p /tmp/dnpipes-seq-$$ nums-p; s=$?; rm /tmp/dnpipes-seq-$$; echo $s')).stdout.toString(), '0\n')
  t.equal((await run('seq 1 1000 | cmp - nums && seq 1 1000 | cmp - nums-p && echo same')).stdout.toString(), 'same\n')
  const ls = (await run('ls -l nums')).stdout.toString()
  t.match(ls, /^-rw-r--r-- 1 \S+ \S+ 3893 /, 'ls -l shows the exact size')
  t.equal((await run('find . -type f | sort')).stdout.toString(), './nums\n./nums-p\n./team/empty\n./team/orders2\n')
  t.equal((await run('find . -type d | sort')).stdout.toString(), '.\n./.delay\n./.follow\n./.group\n./.live\n./team\n./team/a\n')
  t.match((await run('du -k nums')).stdout.toString(), /^4\tnums/)
  const df = await run('df -P .')
  t.equal(df.code, 0)
  t.match(df.stdout.toString(), /dnpipes/)
  const moved = await run('mv team moved; echo $?; ls')
  t.equal(moved.stdout.toString(), '0\nmoved\nnums\nnums-p\n', 'a directory moves (by copy, after EXDEV)')
  t.equal(moved.stderr, '', 'quietly')
  t.equal((await run('cat moved/orders2')).stdout.toString(), 'o1\n')
  t.equal((await run('rm -r moved && ls')).stdout.toString(), 'nums\nnums-p\n')
})

t.test('reads at any offset: tail -c, dd skip=, head -c', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server)
  const run = (script: string) => sh(script, { cwd: dir })
  await run('seq 1 200000 > nums')
  const expected = (await sh('seq 1 200000')).stdout
  t.equal((await run('stat -c %s nums')).stdout.toString(), `${expected.length}\n`)
  t.same((await run('tail -c 100 nums')).stdout, expected.subarray(expected.length - 100))
  t.same((await run('dd if=nums bs=1000 skip=700 count=3 status=none')).stdout, expected.subarray(700_000, 703_000))
  t.same((await run('dd if=nums bs=1 skip=12345 count=17 status=none')).stdout, expected.subarray(12345, 12345 + 17))
  t.same((await run('head -c 5000 nums')).stdout, expected.subarray(0, 5000))
  t.equal((await run('wc -l < nums')).stdout.toString().trim(), '200000')
  t.equal((await run('grep -c 99 nums')).stdout.toString().trim(), (await sh('seq 1 200000 | grep -c 99')).stdout.toString().trim())
})

t.test('two mounts on one Redis see the same topics, with sizes never stale', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server)
  const b = await mountFor(t, server)
  await sh(`echo from-a >> ${a.dir}/shared`)
  t.equal((await sh(`cat ${b.dir}/shared`)).stdout.toString(), 'from-a\n')
  await sh(`echo from-b >> ${b.dir}/shared`)
  t.equal((await sh(`stat -c %s ${a.dir}/shared; cat ${a.dir}/shared`)).stdout.toString(), '14\nfrom-a\nfrom-b\n')
  await sh(`mkdir ${a.dir}/d && rm ${a.dir}/shared`)
  t.equal((await sh(`ls ${b.dir}`)).stdout.toString(), 'd\n', 'removal and mkdir show at once on the other mount')
})

t.test('stats held between changes: 100 stats of an unchanged topic ask Redis nothing; another mount\'s push shows at its announcement', async t => {
  const server = await redisFor(t)
  const admin = server.client()
  const a = await mountFor(t, server)
  const b = await mountFor(t, server)
  await sh(`echo one >> ${a.dir}/t && stat -c %s ${a.dir}/t`)
  const scripts = async (): Promise<number> => Number(/cmdstat_evalsha:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0)
  const before = await scripts()
  const stats = await sh(`for i in $(seq 100); do stat -c %s ${a.dir}/t; done | sort -u`)
  t.equal(stats.stdout.toString(), '4\n')
  t.equal(await scripts() - before, 0, 'no script ran for them')
  // The shell's next command starts well after the announcement, which takes about a millisecond.
  const seen = await sh(`echo two >> ${b.dir}/t; sleep 0.05; stat -c %s ${a.dir}/t; echo three >> ${a.dir}/t; stat -c %s ${a.dir}/t`)
  t.equal(seen.stdout.toString(), '8\n14\n', 'another mount\'s push, then this mount\'s own at once')
})

t.test('a name the kernel still holds after another mount removed it: no stale answers', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server)
  const b = await mountFor(t, server)
  // Each script runs well inside the kernel's one-second hold on the name a.dir/t.
  const recreated = await sh(`echo x > ${a.dir}/t && stat -c %s ${a.dir}/t && rm ${b.dir}/t && echo y >> ${a.dir}/t && cat ${a.dir}/t`)
  t.equal(recreated.stdout.toString(), '2\ny\n', 'echo >> creates the topic afresh instead of failing')
  const gone = await sh(`echo x > ${a.dir}/u && cat ${a.dir}/u && rm ${b.dir}/u; cat ${a.dir}/u; echo "cat=$?"; stat ${a.dir}/u; echo "stat=$?"`)
  t.equal(gone.stdout.toString(), 'x\ncat=1\nstat=1\n')
  t.match(gone.stderr.toString(), /cat: .*u: No such file or directory/)
})

t.test('names a listing just gave the kernel, changed by another mount before they are looked up: no stale answers', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server)
  const b = await mountFor(t, server)
  await sh(`mkdir ${a.dir}/d && echo old > ${a.dir}/d/gone && echo old > ${a.dir}/d/kept && echo old > ${a.dir}/d/retyped && echo old > ${a.dir}/d/appended`)
  // ls lists d/ on a (its lookups of these names are answered from that listing), then b changes
  // them, all well inside the listing's few seconds and before a looks any of them up again.
  await sh('sleep 1.1') // the kernel's own hold on the names from their creation ends
  const script = [
    `ls ${a.dir}/d > /dev/null`,
    `rm ${b.dir}/d/gone && rm ${b.dir}/d/retyped && mkdir ${b.dir}/d/retyped && echo more >> ${b.dir}/d/appended && echo new > ${b.dir}/d/fresh`,
    `stat -c %s ${a.dir}/d/gone; echo "stat=$?"`,
    `cat ${a.dir}/d/appended`,
    `stat -c %s ${a.dir}/d/appended`,
    `cat ${a.dir}/d/fresh`,
    `echo again >> ${a.dir}/d/gone && cat ${a.dir}/d/gone`,
    `ls ${a.dir}/d`
  ].join('; ')
  const seen = await sh(script)
  t.equal(seen.stdout.toString(), 'stat=1\nold\nmore\n9\nnew\nagain\nappended\nfresh\ngone\nkept\nretyped\n', seen.stderr.toString())
  t.match(seen.stderr.toString(), /stat: cannot statx? '.*gone': No such file or directory/)
  t.equal((await sh(`stat -c %F ${a.dir}/d/retyped || stat -c %F ${a.dir}/d/retyped`)).stdout.toString().trim().split('\n').pop(), 'directory',
    'a name that became a directory reads as one (at worst after one EIO, as for any name the kernel holds)')
})

t.test('access(2) answers as permission checks would: topics not executable, directories searchable', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server)
  const run = (script: string) => sh(script, { cwd: dir })
  const answers = await run('mkdir d && echo x > t && for p in t d .follow/t; do for f in r w x; do test -$f $p && echo "$p $f yes" || echo "$p $f no"; done; done; test -e nothing; echo "missing=$?"')
  // The test runs as root, for whom the kernel allows writing to read-only files too.
  t.equal(answers.stdout.toString(), [
    't r yes', 't w yes', 't x no',
    'd r yes', 'd w yes', 'd x yes',
    '.follow/t r yes', '.follow/t w yes', '.follow/t x no',
    'missing=1', ''
  ].join('\n'))
  const exec = await run('./t')
  t.not(exec.code, 0)
  t.match(exec.stderr.toString(), /Permission denied/)
})
