import t from 'tap'
import { CLI, mount, MountedDir } from '../../scripts/support/mount'
import { bash, run } from '../../scripts/support/processes'
import { startRedis, RedisServer } from '../../scripts/support/redis-server'

// Retention through real mounts of one real Redis: limits set with setfattr on one mount apply
// to appends through another; a mount's --retain-* default; replays and followers during trims.

let server: RedisServer
let a: MountedDir
let b: MountedDir

t.before(async () => {
  server = await startRedis()
  a = await mount(`redis://127.0.0.1:${server.port}`)
  b = await mount(`redis://127.0.0.1:${server.port}`)
})
t.teardown(async () => {
  await a?.stop()
  await b?.stop()
  await server?.stop()
})

const sh = async (script: string): Promise<string> => {
  const result = await bash(`(${script}) 2>&1`)
  return result.stdout.toString()
}

t.test('setfattr on one mount sets a limit that appends through another apply; getfattr shows it; setfattr -x lifts it', async t => {
  await sh(`for i in $(seq 1 10); do echo m$i; done >> ${a.dir}/jobs`)
  t.equal(await sh(`setfattr -n user.dnpipes.retain-messages -v 4 ${a.dir}/jobs && echo ok`), 'ok\n')
  t.equal(await sh(`getfattr --absolute-names --only-values -n user.dnpipes.retain-messages ${b.dir}/jobs`), '4')
  t.equal(await sh(`cat ${b.dir}/jobs`), 'm7\nm8\nm9\nm10\n', 'applied when set')
  await sh(`echo m11 >> ${b.dir}/jobs; echo m12 >> ${b.dir}/jobs`)
  t.equal(await sh(`cat ${a.dir}/jobs`), 'm9\nm10\nm11\nm12\n', 'applied by the other mount\'s appends')
  t.equal(await sh(`stat -c %s ${a.dir}/jobs; wc -c < ${a.dir}/jobs`), '15\n15\n', 'stat size and wc -c agree')
  t.match(await sh(`getfattr --absolute-names -d -m 'user.dnpipes.retain' ${a.dir}/jobs`), /user\.dnpipes\.retain-messages="4"/)
  t.match(await sh(`setfattr -n user.dnpipes.retain-messages -v lots ${a.dir}/jobs`), /Invalid argument/)
  t.match(await sh(`setfattr -n user.dnpipes.key -v x ${a.dir}/jobs`), /Operation not supported/)
  t.equal(await sh(`setfattr -x user.dnpipes.retain-messages ${b.dir}/jobs && echo ok`), 'ok\n')
  t.match(await sh(`getfattr --absolute-names -n user.dnpipes.retain-messages ${a.dir}/jobs`), /No such attribute/)
  await sh(`for i in 13 14 15; do echo m$i; done >> ${a.dir}/jobs`)
  t.equal(await sh(`cat ${a.dir}/jobs | wc -l`), '7\n', 'lifted: everything stays')
})

t.test('bytes with a unit, and an age that shrinks an idle topic when it is looked at', async t => {
  await sh(`for i in $(seq 1 300); do printf '%07d\\n' $i; done >> ${a.dir}/sized`) // 8 bytes each
  await sh(`setfattr -n user.dnpipes.retain-bytes -v 1K ${a.dir}/sized`)
  t.equal(await sh(`stat -c %s ${b.dir}/sized`), '1024\n', '128 whole messages of 8 bytes')
  t.equal(await sh(`head -n 1 ${b.dir}/sized`), '0000173\n')
  await sh(`echo old >> ${a.dir}/aged; setfattr -n user.dnpipes.retain-seconds -v 1 ${a.dir}/aged`)
  t.equal(await sh(`cat ${b.dir}/aged`), 'old\n')
  await new Promise(resolve => setTimeout(resolve, 1200))
  t.equal(await sh(`stat -c %s ${b.dir}/aged; cat ${b.dir}/aged`), '0\n', 'nothing was appended, and it is empty')
})

t.test('a mount\'s --retain-messages default applies to topics without limits of their own', async t => {
  const capped = await mount(`redis://127.0.0.1:${server.port}`, { args: ['--retain-messages', '3'] })
  t.teardown(() => capped.stop())
  await sh(`touch ${a.dir}/own ${a.dir}/plain; setfattr -n user.dnpipes.retain-messages -v 5 ${a.dir}/own`)
  await sh(`for i in $(seq 1 8); do echo $i; done | tee -a ${capped.dir}/own >> ${capped.dir}/plain`)
  t.equal(await sh(`cat ${a.dir}/plain`), '6\n7\n8\n')
  t.equal(await sh(`cat ${a.dir}/own`), '4\n5\n6\n7\n8\n', 'its own limit, not the default')
  t.match(await sh(`getfattr --absolute-names -d -m - ${a.dir}/plain`), /^(?![\s\S]*retain)/, 'the default is not stored with the topic')
  t.match(await sh(`node ${process.cwd()}/dist/src/cli.js mount --help`), /--retain-messages <n>/)
})

t.test('replays and a follower during trimming see consecutive whole messages', async t => {
  await sh(`touch ${a.dir}/busy; setfattr -n user.dnpipes.retain-messages -v 2000 ${a.dir}/busy`)
  const follower = bash(`timeout 20 head -n 6000 ${b.dir}/.follow/busy`)
  await new Promise(resolve => setTimeout(resolve, 300))
  const writer = bash(`for i in $(seq 1 60); do seq $(( (i - 1) * 100 + 1 )) $(( i * 100 )) >> ${a.dir}/busy; done`)
  const replays: string[] = []
  let writing = true
  writer.then(() => { writing = false }, () => { writing = false })
  while (writing) replays.push((await bash(`cat ${b.dir}/busy`)).stdout.toString())
  await writer
  t.ok(replays.length >= 3, `${replays.length} replays during the writes`)
  for (const [i, replay] of replays.entries()) {
    if (replay === '') continue
    const numbers = replay.slice(0, -1).split('\n').map(Number)
    const consecutive = replay.endsWith('\n') && numbers.every((n, j) => j === 0 || n === numbers[j - 1]! + 1)
    if (!consecutive) t.fail(`replay ${i} is not one run of whole messages: ${replay.slice(0, 80)}…`)
    if (numbers.length > 2 * 2000) t.fail(`replay ${i} has ${numbers.length} messages`)
  }
  t.pass(`every replay one run of whole messages, at most twice the limit`)
  const followed = (await follower).stdout.toString().slice(0, -1).split('\n').map(Number)
  t.same(followed, Array.from({ length: 6000 }, (_, i) => i + 1), 'the follower got every message once, in order')
  t.equal(await sh(`wc -l < ${a.dir}/busy`), '2000\n')
})

t.test('dnpipes retain sets, shows and lifts limits without FUSE; dnpipes stat shows them', async t => {
  const cli = (...args: string[]) => run(process.execPath, [CLI, ...args, '--redis', `redis://127.0.0.1:${server.port}`])
  await sh(`for i in $(seq 1 10); do echo $i; done >> ${a.dir}/cli`)
  t.equal((await cli('retain', 'cli', '--messages', '4', '--bytes', '2K')).stdout.toString(), 'cli: messages=4 bytes=2048\n')
  t.equal(await sh(`cat ${b.dir}/cli`), '7\n8\n9\n10\n', 'trimmed at once')
  t.equal(await sh(`getfattr --absolute-names --only-values -n user.dnpipes.retain-bytes ${b.dir}/cli`), '2048')
  t.match((await cli('stat', 'cli')).stdout.toString(), /retain +messages=4 bytes=2048\n/)
  t.match(JSON.parse((await cli('stat', 'cli', '--json')).stdout.toString()), { entries: 4, retention: { messages: 4, bytes: 2048 } })
  t.equal((await cli('retain', 'cli')).stdout.toString(), 'cli: messages=4 bytes=2048\n', 'without options it only shows them')
  t.equal((await cli('retain', 'cli', '--none', '--seconds', '60')).stdout.toString(), 'cli: seconds=60\n')
  t.equal((await cli('retain', 'cli', '--none')).stdout.toString(), 'cli: none\n')
  const bad = await cli('retain', 'cli', '--messages', '0')
  t.not(bad.code, 0)
  t.match(bad.stderr.toString(), /positive whole number/)
  const missing = await cli('retain', 'nothing', '--messages', '3')
  t.not(missing.code, 0)
  t.match(missing.stderr.toString(), /no topic nothing/)
})
