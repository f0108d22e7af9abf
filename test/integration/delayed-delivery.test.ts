import t from 'tap'
import { mountFor, redisFor } from '../helpers/fixture'
import { startFollower } from '../helpers/follow-check'
import { groupReader, until } from '../helpers/group-readers'
import { CLI } from '../../scripts/support/mount'
import { run, RunOptions, sh } from '../../scripts/support/processes'
import { startCluster } from '../../scripts/support/redis-cluster'
import { keySlot } from '../../src/topics/redis/key-slot'

// Delayed delivery through the CLI and real mounts: `dnpipes push --delay`, `.delay/S/` and the
// delay-seconds attribute schedule, nobody sees the message before its due time, a follower and
// a group reader on a mount get it then (on a Cluster too), and a scheduled message survives a
// restart of Redis (AOF).
//
// The delays are seconds long, not fractions of one: a check that nothing is visible yet holds
// only if it runs before the due time, and on a loaded machine starting the CLI alone can take
// two seconds.

t.test('push --delay: invisible until due, then to a .follow/ and a .group/ reader on a mount; stat counts it', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server)
  const cli = (args: string[], options: RunOptions = {}) => run(process.execPath, [CLI, ...args, '--redis', server.url], options)
  t.equal((await cli(['push', 'jobs', 'first'])).code, 0)
  const follower = startFollower('cat', 'cat', [`${dir}/.follow/jobs`])
  t.teardown(() => follower.child.kill('SIGKILL'))
  const worker = groupReader(`${dir}/.group/w/jobs`, 'while read -r job; do echo "$job $(date +%s%3N)"; done < "$FILE"')
  t.teardown(() => worker.child.kill('SIGKILL'))
  await until('the worker to take first', () => worker.output().startsWith('first '))
  const pushedAt = Date.now()
  t.equal((await cli(['push', '--delay', '10', 'jobs', 'later'])).code, 0)
  t.equal((await cli(['push', '--delay', '8', 'jobs', 'sooner'])).code, 0)
  t.equal((await sh(`cat ${dir}/jobs`)).stdout.toString(), 'first\n', 'cat does not see them')
  const stat = JSON.parse((await cli(['stat', 'jobs', '--json'])).stdout.toString())
  t.match(stat, { entries: 1, scheduled: 2, bytes: 6 }, 'stat counts what is scheduled apart from what entered')
  await until('both to enter', () => worker.output().split('\n').filter(Boolean).length === 3, 20_000)
  const [, sooner, later] = worker.output().split('\n')
  t.match(sooner, /^sooner \d+$/, 'the earlier due first, though pushed later')
  t.match(later, /^later \d+$/)
  const soonerAt = Number(sooner!.split(' ')[1]) - pushedAt
  const laterAt = Number(later!.split(' ')[1]) - pushedAt
  t.ok(soonerAt >= 7950 && laterAt >= 9950, `handed out ${soonerAt} and ${laterAt} ms after the pushes, not before their delays`)
  await until('the follower to get both', () => follower.output() === 'first\nsooner\nlater\n')
  t.equal((await sh(`cat ${dir}/jobs`)).stdout.toString(), 'first\nsooner\nlater\n')
  t.equal((await cli(['push', '--delay', 'soon', 'jobs', 'x'])).code, 2, 'a delay that is not a number of seconds is refused')
})

t.test('a scheduled message survives a restart of Redis and enters at its due time', async t => {
  const server = await redisFor(t)
  const cli = (args: string[]) => run(process.execPath, [CLI, ...args, '--redis', server.url])
  t.equal((await cli(['push', '--delay', '8', 'jobs', 'durable'])).code, 0)
  await server.stop()
  await server.start()
  t.match(JSON.parse((await cli(['stat', 'jobs', '--json'])).stdout.toString()), { entries: 0, scheduled: 1 }, 'still scheduled after the restart')
  await until('it to enter', async () => (await cli(['pull', 'jobs'])).stdout.toString() === 'durable\n', 20_000)
  t.pass('entered after the restart')
})

t.test('.delay/SECONDS/TOPIC and user.dnpipes.delay-seconds through the shell on a mount', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server)
  await sh(`echo first >> ${dir}/jobs`)
  const pushedAt = Date.now()
  await sh(`echo later >> ${dir}/.delay/5.5/jobs && echo sooner > ${dir}/.delay/4/jobs`)
  t.equal((await sh(`cat ${dir}/jobs`)).stdout.toString(), 'first\n', 'nothing scheduled is seen, and > did not reset the topic')
  t.equal((await sh(`ls -A ${dir}/.delay ${dir}/.delay/5`)).stdout.toString(), `${dir}/.delay:\n\n${dir}/.delay/5:\n`, '.delay lists nothing')
  t.match((await sh(`cat ${dir}/.delay/1/jobs`)).stderr.toString(), /Permission denied/, 'write-only')
  t.match((await sh(`echo x >> ${dir}/.delay/soon/jobs`)).stderr.toString(), /Invalid argument/, 'a delay must be seconds')
  await until('both to enter', async () => (await sh(`cat ${dir}/jobs`)).stdout.toString() === 'first\nsooner\nlater\n', 15_000)
  t.ok(Date.now() - pushedAt >= 5500, 'not before the later one was due')

  await sh(`echo new >> ${dir}/.delay/4/fresh`)
  t.equal((await sh(`cat ${dir}/fresh`)).stdout.toString(), '', 'a push through .delay/ makes the topic at once, empty')
  await until('it to enter', async () => (await sh(`cat ${dir}/fresh`)).stdout.toString() === 'new\n', 15_000)

  t.equal((await sh(`setfattr -n user.dnpipes.delay-seconds -v 4 ${dir}/jobs`)).code, 0)
  t.equal((await sh(`getfattr --only-values -n user.dnpipes.delay-seconds ${dir}/jobs`)).stdout.toString(), '4')
  t.equal((await sh(`echo waited >> ${dir}/jobs && cat ${dir}/jobs`)).stdout.toString(), 'first\nsooner\nlater\n', 'every push to the topic waits its delay')
  await until('it to enter', async () => (await sh(`cat ${dir}/jobs`)).stdout.toString().endsWith('waited\n'), 10_000)
  t.match((await sh(`setfattr -n user.dnpipes.delay-seconds -v forever ${dir}/jobs`)).stderr.toString(), /Invalid argument/)
  t.equal((await sh(`setfattr -x user.dnpipes.delay-seconds ${dir}/jobs`)).code, 0)
  t.match((await sh(`getfattr -n user.dnpipes.delay-seconds ${dir}/jobs`)).stderr.toString(), /No such attribute/, 'lifted')
  await sh(`echo direct >> ${dir}/jobs`)
  t.equal((await sh(`tail -n 1 ${dir}/jobs`)).stdout.toString(), 'direct\n', 'pushes enter at once again')
})

t.test('on a Redis Cluster: scheduled messages in each topic\'s slot reach a .group/ reader on another mount at their due time', async t => {
  const cluster = await startCluster(3)
  t.teardown(() => cluster.stop())
  const a = await mountFor(t, undefined, { args: ['--cluster', cluster.seeds] })
  const b = await mountFor(t, undefined, { args: ['--cluster', cluster.seeds] })
  const topics = ['t1', 't2', 't3', 't4', 't5', 't6']
  t.ok(new Set(topics.map(name => Math.floor(keySlot(`dnpipes:{${name}}`) / 5462))).size > 1, 'the topics live on different masters')
  await sh(topics.map(name => `: >> ${a.dir}/${name}`).join(' && '))
  const readers = topics.map(name => groupReader(`${b.dir}/.group/w/${name}`, 'while read -r job; do echo "$job"; done < "$FILE"'))
  t.teardown(() => { for (const reader of readers) reader.child.kill('SIGKILL') })
  await sh(topics.map(name => `echo ${name}-late >> ${a.dir}/.delay/8/${name} && echo ${name}-soon >> ${a.dir}/.delay/6/${name}`).join(' && '))
  t.equal((await sh(`cat ${b.dir}/t1 ${b.dir}/t6`)).stdout.toString(), '', 'invisible before their due time')
  const cli = (args: string[]) => run(process.execPath, [CLI, ...args, '--cluster', cluster.seeds])
  t.match(JSON.parse((await cli(['stat', 't4', '--json'])).stdout.toString()), { entries: 0, scheduled: 2 })
  await until('every reader to get both', () => readers.every((reader, i) => reader.output() === `${topics[i]}-soon\n${topics[i]}-late\n`), 25_000)
    .catch(err => { t.comment(readers.map(reader => reader.output()).join('|')); throw err })
  t.pass('each topic\'s reader got its messages in due order')
})
