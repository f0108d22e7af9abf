import t from 'tap'
import { mountFor, redisFor } from '../helpers/fixture'
import { startFollower } from '../helpers/follow-check'
import { groupReader, until } from '../helpers/group-readers'
import { CLI } from '../../scripts/support/mount'
import { run, RunOptions, sh } from '../../scripts/support/processes'

// Delayed delivery through the CLI and real mounts: `dnpipes push --delay` schedules, nobody
// sees the message before its due time, a follower and a group reader on a mount get it then,
// and a scheduled message survives a restart of Redis (AOF).

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
  t.equal((await cli(['push', '--delay', '3.5', 'jobs', 'later'])).code, 0)
  t.equal((await cli(['push', '--delay', '2', 'jobs', 'sooner'])).code, 0)
  const stat = JSON.parse((await cli(['stat', 'jobs', '--json'])).stdout.toString())
  t.match(stat, { entries: 1, scheduled: 2, bytes: 6 }, 'stat counts what is scheduled apart from what entered')
  t.equal((await sh(`cat ${dir}/jobs`)).stdout.toString(), 'first\n', 'cat does not see them')
  await until('both to enter', () => worker.output().split('\n').filter(Boolean).length === 3, 10_000)
  const [, sooner, later] = worker.output().split('\n')
  t.match(sooner, /^sooner \d+$/, 'the earlier due first, though pushed later')
  t.match(later, /^later \d+$/)
  const soonerAt = Number(sooner!.split(' ')[1]) - pushedAt
  const laterAt = Number(later!.split(' ')[1]) - pushedAt
  t.ok(soonerAt >= 1950 && laterAt >= 3450, `handed out ${soonerAt} and ${laterAt} ms after the pushes, not before their delays`)
  await until('the follower to get both', () => follower.output() === 'first\nsooner\nlater\n')
  t.equal((await sh(`cat ${dir}/jobs`)).stdout.toString(), 'first\nsooner\nlater\n')
  t.equal((await cli(['push', '--delay', 'soon', 'jobs', 'x'])).code, 2, 'a delay that is not a number of seconds is refused')
})

t.test('a scheduled message survives a restart of Redis and enters at its due time', async t => {
  const server = await redisFor(t)
  const cli = (args: string[]) => run(process.execPath, [CLI, ...args, '--redis', server.url])
  t.equal((await cli(['push', '--delay', '2', 'jobs', 'durable'])).code, 0)
  await server.stop()
  await server.start()
  t.match(JSON.parse((await cli(['stat', 'jobs', '--json'])).stdout.toString()), { entries: 0, scheduled: 1 }, 'still scheduled after the restart')
  await until('it to enter', async () => (await cli(['pull', 'jobs'])).stdout.toString() === 'durable\n', 10_000)
  t.pass('entered after the restart')
})
