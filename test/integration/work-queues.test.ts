import type { Redis } from 'ioredis'
import t from 'tap'
import { mountFor, redisFor } from '../helpers/fixture'
import { allAcknowledged, groupReader, TAKE_ONE_AND_WORK, until, WHILE_READ } from '../helpers/group-readers'
import { sh } from '../../scripts/support/processes'

// Work queues: .group/GROUP/TOPIC hands each message to one reader of the group, on any mount;
// acknowledged when the reader reads on or closes alive; redelivered after the visibility timeout
// when its reader died of a signal; moved to TOPIC.dead after too many deliveries.

const KEY = 'dnpipes:{jobs}'

/** How long the oldest pending message of `group` has been idle, in ms; undefined when none is. */
async function idleOf (client: Redis, group: string): Promise<number | undefined> {
  const [oldest] = await client.xpending(KEY, group, '-', '+', 1) as Array<[string, string, number, number]>
  return oldest?.[2]
}

t.test('10 000 messages over four readers on two mounts: each delivered exactly once, in order per reader', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server)
  const b = await mountFor(t, server)
  await sh(`seq 1 10000 | sed 's/^/job /' > ${a.dir}/jobs`)
  const readers = [a, a, b, b].map((mounted, i) => groupReader(`${mounted.dir}/.group/workers/jobs`, WHILE_READ(`r${i}`)))
  t.teardown(() => { for (const reader of readers) reader.child.kill('SIGKILL') })
  const lines = (): string[] => readers.flatMap(reader => reader.output().split('\n').filter(Boolean))
  await until('every job to be taken', () => lines().length >= 10000, 120_000)
  await until('the group to have nothing pending', async () => (await server.client().xpending(KEY, 'workers') as [number])[0] === 0)
  const jobs = lines().map(line => Number(line.split(' ')[2]))
  t.equal(jobs.length, 10000, 'no job twice')
  t.equal(new Set(jobs).size, 10000, 'every job once')
  for (const [i, reader] of readers.entries()) {
    const own = reader.output().split('\n').filter(Boolean).map(line => Number(line.split(' ')[2]))
    t.ok(own.length > 0, `reader ${i} took ${own.length} jobs`)
    t.ok(own.every((job, k) => k === 0 || job > own[k - 1]!), `reader ${i} got its jobs in stream order`)
  }
  t.equal((await sh(`wc -l < ${a.dir}/jobs`)).stdout.toString().trim(), '10000', 'the topic still replays everything')
  const audit = await sh(`head -n 3 ${b.dir}/.group/audit/jobs; head -n 1 ${b.dir}/.group/audit/jobs`)
  t.equal(audit.stdout.toString(), 'job 1\njob 2\njob 3\njob 4\n', 'another group gets every message, on its own')
})

t.test('a reader killed holding a message: another gets it after the visibility timeout, not before', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server, { args: ['--visibility-timeout', '2'] })
  const b = await mountFor(t, server, { args: ['--visibility-timeout', '2'] })
  await sh(`echo job1 >> ${a.dir}/jobs`)
  const holder = groupReader(`${a.dir}/.group/w/jobs`, TAKE_ONE_AND_WORK(60))
  t.teardown(() => holder.child.kill('SIGKILL'))
  await until('the holder to take job1', () => holder.output().includes('got job1'))
  const takenAt = Number(/got job1 (\d+)/.exec(holder.output())![1])
  holder.child.kill('SIGKILL')
  await holder.exited
  const next = await sh(`head -n 1 ${b.dir}/.group/w/jobs; date +%s%3N`)
  const [job, at] = next.stdout.toString().trim().split('\n')
  t.equal(job, 'job1', 'redelivered')
  const waited = Number(at) - takenAt
  t.ok(waited >= 1900, `to nobody before the timeout: ${waited} ms after it was taken`)
  t.ok(waited < 2000 + 3000, 'and soon after it')
  await allAcknowledged(t, server.client(), KEY, 'w', 'acknowledged by the reader that exited normally')
})

t.test('a reader that exits normally, even with a failure status, or closes the file: never redelivered', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server, { args: ['--visibility-timeout', '0.5'] })
  await sh(`printf 'a\\nb\\nc\\nd\\n' >> ${dir}/jobs`)
  t.equal((await sh(`head -n 1 ${dir}/.group/w/jobs`)).stdout.toString(), 'a\n')
  const failed = await sh(`bash -c 'exec 3< ${dir}/.group/w/jobs; read -r -u 3 job; echo $job; exit 3'`)
  t.equal(failed.stdout.toString(), 'b\n')
  t.equal(failed.code, 3)
  t.equal((await sh(`bash -c 'exec 3< ${dir}/.group/w/jobs; read -r -u 3 job; exec 3<&-; echo $job; sleep 1'`)).stdout.toString(), 'c\n', 'closed, then lived on')
  await new Promise(resolve => setTimeout(resolve, 1000))
  t.equal((await sh(`head -n 1 ${dir}/.group/w/jobs`)).stdout.toString(), 'd\n', 'past the timeout: none of a, b, c again')
  await allAcknowledged(t, server.client(), KEY, 'w', 'nothing pending')
})

t.test('a live reader holding a message past the timeout: nobody else gets it', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server, { args: ['--visibility-timeout', '1'] })
  const b = await mountFor(t, server, { args: ['--visibility-timeout', '1'] })
  await sh(`echo slow >> ${a.dir}/jobs`)
  const holder = groupReader(`${a.dir}/.group/w/jobs`, TAKE_ONE_AND_WORK(3.5))
  t.teardown(() => holder.child.kill('SIGKILL'))
  await until('the holder to take it', () => holder.output().includes('got slow'))
  const other = await sh(`timeout 3 head -n 1 ${b.dir}/.group/w/jobs`)
  t.equal(other.stdout.toString(), '', 'three timeouts later, still nothing for another reader')
  t.equal(await holder.exited, 0)
  await holder.finished
  t.match(holder.output(), /done/)
  await allAcknowledged(t, server.client(), KEY, 'w', 'acknowledged when the holder exited')
})

t.test('after --max-deliveries a message moves to TOPIC.dead; the queue goes on', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server, { args: ['--visibility-timeout', '0.3', '--max-deliveries', '2'] })
  await sh(`echo poison >> ${dir}/jobs`)
  for (let attempt = 1; attempt <= 2; attempt++) {
    const crasher = groupReader(`${dir}/.group/w/jobs`, TAKE_ONE_AND_WORK(60))
    t.teardown(() => crasher.child.kill('SIGKILL'))
    await until(`delivery ${attempt}`, () => crasher.output().includes('got poison'))
    crasher.child.kill('SIGKILL')
    await crasher.exited
    await until('its visibility timeout to pass', async () => (await idleOf(server.client(), 'w'))! >= 300)
  }
  await sh(`echo fine >> ${dir}/jobs`)
  t.equal((await sh(`timeout 10 head -n 1 ${dir}/.group/w/jobs`)).stdout.toString(), 'fine\n', 'the poison message is out of the way')
  t.equal((await sh(`cat ${dir}/jobs.dead`)).stdout.toString(), 'poison\n')
  t.equal((await sh(`cat ${dir}/jobs`)).stdout.toString(), 'poison\nfine\n', 'the topic keeps it too')
  await allAcknowledged(t, server.client(), KEY, 'w', 'nothing pending')
  await sh(`cat ${dir}/jobs.dead >> ${dir}/jobs`)
  t.equal((await sh(`timeout 10 head -n 1 ${dir}/.group/w/jobs`)).stdout.toString(), 'poison\n', 'cat jobs.dead >> jobs retries it')
})

t.test('.group is reserved, read-only and lists nothing; a missing topic is ENOENT', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server)
  await sh(`mkdir -p ${dir}/team && echo x >> ${dir}/team/orders`)
  t.match((await sh(`mkdir ${dir}/.group 2>&1`)).stdout.toString(), /File exists|Operation not permitted/)
  t.equal((await sh(`ls -A ${dir}/.group ${dir}/.group/w ${dir}/.group/w/team`)).code, 0)
  t.equal((await sh(`ls -A ${dir}/.group/w/team`)).stdout.toString(), '', 'lists no children')
  t.match((await sh(`(echo y >> ${dir}/.group/w/team/orders) 2>&1`)).stdout.toString(), /Read-only file system/)
  t.match((await sh(`cat ${dir}/.group/w/team/none 2>&1`)).stdout.toString(), /No such file/)
  t.equal((await sh(`head -n 1 ${dir}/.group/w/team/orders`)).stdout.toString(), 'x\n', 'nested topics')
  t.equal((await sh(`find ${dir} -name orders`)).stdout.toString(), `${dir}/team/orders\n`, 'find never descends into it')
})

t.test('Ctrl-C ends a waiting reader at once; a reset keeps the group; a removed topic ends its readers', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server)
  await sh(`printf 'a\\nb\\n' >> ${dir}/jobs`)
  t.equal((await sh(`head -n 1 ${dir}/.group/w/jobs`)).stdout.toString(), 'a\n')
  const waiting = groupReader(`${dir}/.group/w/jobs`, 'exec cat "$FILE"')
  t.teardown(() => waiting.child.kill('SIGKILL'))
  await until('b', () => waiting.output() === 'b\n')
  await new Promise(resolve => setTimeout(resolve, 200))
  const interruptedAt = Date.now()
  waiting.child.kill('SIGINT')
  t.equal(await waiting.exited, 'SIGINT')
  t.ok(Date.now() - interruptedAt < 1000, `ended ${Date.now() - interruptedAt} ms after Ctrl-C`)
  await sh(`truncate -s 0 ${dir}/jobs && echo c >> ${dir}/jobs`)
  t.equal((await sh(`timeout 10 head -n 1 ${dir}/.group/w/jobs`)).stdout.toString(), 'c\n', 'after a reset, the messages pushed since')
  t.same((await server.client().xinfo('GROUPS', KEY) as unknown[][]).map(group => group[1]), ['w'], 'the group is still there')
  const ending = groupReader(`${dir}/.group/w/jobs`, 'cat "$FILE"; echo "ended $?"')
  t.teardown(() => ending.child.kill('SIGKILL'))
  await new Promise(resolve => setTimeout(resolve, 300))
  await sh(`rm ${dir}/jobs`)
  await until('end of file', () => ending.output() === 'ended 0\n')
  t.pass('the reader of a removed topic got end of file')
})

t.test('the mount of a reader holding a message goes away: another mount gets it after the timeout', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server, { args: ['--visibility-timeout', '1'] })
  const b = await mountFor(t, server, { args: ['--visibility-timeout', '1'] })
  await sh(`echo orphan >> ${a.dir}/jobs`)
  const holder = groupReader(`${a.dir}/.group/w/jobs`, TAKE_ONE_AND_WORK(60))
  t.teardown(() => holder.child.kill('SIGKILL'))
  await until('the holder to take it', () => holder.output().includes('got orphan'))
  a.daemon.kill('SIGKILL')
  await a.exited
  t.equal((await sh(`timeout 10 head -n 1 ${b.dir}/.group/w/jobs`)).stdout.toString(), 'orphan\n', 'redelivered once its mount stopped holding it')
})
