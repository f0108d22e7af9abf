import { spawn } from 'node:child_process'
import t, { Test } from 'tap'
import type { MountedDir } from '../../scripts/support/mount'
import type { RedisServer } from '../../scripts/support/redis-server'
import { mountFor, redisFor } from '../helpers/fixture'
import { allAcknowledged, groupReader, GroupReaderProcess, until, WHILE_READ } from '../helpers/group-readers'
import { run, sh, track } from '../../scripts/support/processes'

// Work queues shared: many waiting readers on one connection, other Redis clients in the same
// group, what stat, getfattr and the metrics show, and a Redis restart under busy workers.

const KEY = 'dnpipes:{jobs}'

async function metricsOf (url: string): Promise<string> {
  return await (await fetch(url)).text()
}

/** A mount with metrics and an empty topic `jobs`, and how many reads on it are blocked now. */
async function mountWithTopic (t: Test, server: RedisServer): Promise<{ mounted: MountedDir, blocked: () => Promise<number> }> {
  const mounted = await mountFor(t, server, { args: ['--metrics', '127.0.0.1:0'] })
  const url = /metrics on (http:\/\/\S+\/metrics)/.exec(mounted.output())![1]!
  await sh(`touch ${mounted.dir}/jobs`)
  const blocked = async (): Promise<number> => Number(/^dnpipes_blocked_followers (\d+)/m.exec(await metricsOf(url))?.[1] ?? -1)
  return { mounted, blocked }
}

function metric (text: string, name: string, group: string): number {
  return Number(new RegExp(`^${name}\\{group="${group}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0)
}

t.test('200 waiting readers on one mount share its follow connection; each message to one; killed readers end within 1 s', async t => {
  const server = await redisFor(t)
  const { mounted, blocked } = await mountWithTopic(t, server)
  const connections = async (): Promise<number> => (await server.client().client('LIST') as string).split('\n').filter(line => /name=dnpipes/.test(line)).length
  const before = await connections()
  const readers: GroupReaderProcess[] = []
  t.teardown(() => { for (const reader of readers) reader.child.kill('SIGKILL') })
  for (let i = 0; i < 200; i++) readers.push(groupReader(`${mounted.dir}/.group/w/jobs`, 'head -n 1 "$FILE"'))
  await until('200 blocked readers', async () => await blocked() === 200, 30_000)
  const added = await connections() - before
  t.ok(added <= 1, `${added} connection added for 200 waiting readers (the follow connection, made at the first wait)`)
  await sh(`seq 1 200 > ${mounted.dir}/jobs`)
  await Promise.all(readers.map(reader => reader.finished))
  const got = readers.map(reader => Number(reader.output().trim()))
  t.same([...got].sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i + 1), 'each message to exactly one reader')
  await allAcknowledged(t, server.client(), KEY, 'w', 'every reader acknowledged what it took')

  const killed = Array.from({ length: 20 }, () => groupReader(`${mounted.dir}/.group/w/jobs`, 'cat "$FILE"'))
  readers.push(...killed)
  await until('20 blocked readers', async () => await blocked() === 20, 30_000)
  const killedAt = Date.now()
  for (const reader of killed) reader.child.kill('SIGKILL')
  await Promise.all(killed.map(reader => reader.exited))
  t.ok(Date.now() - killedAt < 1000, `all 20 gone in ${Date.now() - killedAt} ms`)
  await sh(`echo 201 >> ${mounted.dir}/jobs`)
  t.equal((await sh(`timeout 10 head -n 1 ${mounted.dir}/.group/w/jobs`)).stdout.toString(), '201\n', 'the killed readers claimed nothing')
})

t.test('waiting readers take turns: a message pushed to 20 waiting readers costs a claim or two, not one per reader', async t => {
  const server = await redisFor(t)
  const { mounted, blocked } = await mountWithTopic(t, server)
  const readers = Array.from({ length: 20 }, () => groupReader(`${mounted.dir}/.group/w/jobs`, 'head -n 1 "$FILE"'))
  t.teardown(() => { for (const reader of readers) reader.child.kill('SIGKILL') })
  await until('20 blocked readers', async () => await blocked() === 20, 30_000)
  const client = server.client()
  const claims = async (): Promise<number> => Number(/cmdstat_evalsha:calls=(\d+)/.exec(await client.info('commandstats'))?.[1] ?? 0)
  const before = await claims()
  for (let i = 1; i <= 20; i++) {
    // Another client's XADD: the only scripts run meanwhile are the readers' claims.
    await client.xadd(KEY, '*', 'data', `job ${i}`)
    await until(`job ${i} to be taken`, async () => await blocked() === 20 - i)
  }
  // Per message: the claim that takes it and the next waiting reader's claim that finds nothing
  // (leave.lua runs once, at the last close). Without turns, every waiting reader claims: about 11.5.
  const perMessage = (await claims() - before) / 20
  t.ok(perMessage <= 4, `${perMessage} scripts per message with 20 readers waiting`)
  await Promise.all(readers.map(reader => reader.finished))
  t.same(readers.map(reader => reader.output()).sort(), Array.from({ length: 20 }, (_, i) => `job ${i + 1}\n`).sort(), 'each job to one reader')
})

t.test('a Python service in the same group shares the work; what it takes and never acknowledges comes back to the files', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server, { args: ['--visibility-timeout', '1'] })
  await sh(`seq 1 10 | sed 's/^/job /' > ${dir}/jobs`)
  t.equal((await sh(`head -n 1 ${dir}/.group/w/jobs`)).stdout.toString(), 'job 1\n', 'a file reader makes the group')
  const python = await run('/usr/bin/python3', ['-c', `
import redis, sys
r = redis.Redis(port=${server.port})
def take(ack):
    [[_, [(id, fields)]]] = r.xreadgroup('w', 'service', {'${KEY}': '>'}, count=1, block=5000)
    if ack: r.xack('${KEY}', 'w', id)
    print(fields[b'data'].decode())
for _ in range(3): take(True)
take(False)
`])
  t.equal(python.code, 0, python.stderr.toString())
  t.equal(python.stdout.toString(), 'job 2\njob 3\njob 4\njob 5\n', 'the service gets the next messages of the group')
  const file = groupReader(`${dir}/.group/w/jobs`, WHILE_READ('file'))
  t.teardown(() => file.child.kill('SIGKILL'))
  await until('the file reader to take the rest, then job 5 once it timed out', () => file.output().split('\n').filter(Boolean).length === 6, 15_000)
  t.same(file.output().split('\n').filter(Boolean), ['file job 6', 'file job 7', 'file job 8', 'file job 9', 'file job 10', 'file job 5'])
  await allAcknowledged(t, server.client(), KEY, 'w', 'job 5 too is acknowledged now')
})

t.test('dnpipes stat, getfattr on .group/G/TOPIC and the metrics show each group', async t => {
  const server = await redisFor(t)
  const mounted = await mountFor(t, server, { args: ['--metrics', '127.0.0.1:0', '--visibility-timeout', '0.2', '--max-deliveries', '1'] })
  const { dir } = mounted
  const url = /metrics on (http:\/\/\S+\/metrics)/.exec(mounted.output())![1]!
  await sh(`printf 'a\\nb\\nc\\nd\\n' > ${dir}/jobs`)
  await sh(`head -n 2 ${dir}/.group/w/jobs`)
  // Past the 20 ms in which reads count toward claiming ahead (claim-ahead.ts), so the holder's
  // claim takes c alone and d stays for the group.
  await new Promise(resolve => setTimeout(resolve, 50))
  const holder = track(spawn('bash', ['-c', `exec 3< ${dir}/.group/w/jobs; read -r -u 3 job; echo $job; sleep 60`], { stdio: ['ignore', 'pipe', 'ignore'] }))
  t.teardown(() => holder.kill('SIGKILL'))
  await until('the holder to take c', async () => (await server.client().xpending(KEY, 'w') as [number])[0] === 1)
  const json = JSON.parse((await run(process.execPath, [require.resolve('../../src/cli.js'), 'stat', 'jobs', '--json', '--redis', server.url])).stdout.toString())
  t.match(json.groups, [{ name: 'w', consumers: 1, pending: 1, lag: 1, lastDeliveredId: /^\d+-\d+$/ }])
  const text = (await run(process.execPath, [require.resolve('../../src/cli.js'), 'stat', 'jobs', '--redis', server.url])).stdout.toString()
  t.match(text, /\ngroup\s+consumers\s+pending\s+lag\s+last-delivered\nw\s+1\s+1\s+1\s+\d+-\d+\n$/)
  const xattrs = (await sh(`getfattr -d -m 'user.dnpipes.group' ${dir}/.group/w/jobs`)).stdout.toString()
  t.match(xattrs, /user\.dnpipes\.group="w"/)
  t.match(xattrs, /user\.dnpipes\.group\.consumers="1"/)
  t.match(xattrs, /user\.dnpipes\.group\.pending="1"/)
  t.match(xattrs, /user\.dnpipes\.group\.lag="1"/)
  t.match((await sh(`getfattr -n user.dnpipes.group.lag --only-values ${dir}/.group/new/jobs`)).stdout.toString(), '4', 'a group not made yet: everything to come')
  const plain = await sh(`getfattr -n user.dnpipes.group ${dir}/jobs 2>&1`)
  t.match(plain.stdout.toString(), /No such attribute/, 'only group files have them')
  holder.kill('SIGKILL')
  await until('c to be idle past the visibility timeout', async () => {
    const [oldest] = await server.client().xpending(KEY, 'w', '-', '+', 1) as Array<[string, string, number, number]>
    return oldest !== undefined && oldest[2] > 250
  })
  t.equal((await sh(`timeout 5 head -n 1 ${dir}/.group/w/jobs`)).stdout.toString(), 'd\n', 'c is moved out of the way, d handed out')
  t.equal((await sh(`cat ${dir}/jobs.dead`)).stdout.toString(), 'c\n')
  const metrics = await metricsOf(url)
  const counts = ['deliveries', 'redeliveries', 'acknowledged', 'dead_letters'].map(name => metric(metrics, `dnpipes_group_${name}_total`, 'w'))
  t.same(counts, [4, 0, 3, 1], 'delivered a, b, c and d; c dead-lettered, not handed out again; a, b and d acknowledged')
})

t.test('Redis restarted under busy workers: every job done, and done twice only when its acknowledgement failed', async t => {
  const server = await redisFor(t)
  const mounted = await mountFor(t, server, { args: ['--visibility-timeout', '1'], env: { ...process.env, DEBUG: 'dnpipes:groups' } })
  const { dir } = mounted
  await sh(`seq 1 3000 > ${dir}/jobs`)
  const workers = [0, 1].map(i => groupReader(`${dir}/.group/w/jobs`, WHILE_READ(`w${i}`)))
  t.teardown(() => { for (const worker of workers) worker.child.kill('SIGKILL') })
  const done = (): number[] => workers.flatMap(worker => worker.output().split('\n').filter(line => line.startsWith('w')).map(line => Number(line.split(' ')[1])))
  await until('a third of the jobs', () => done().length >= 1000, 60_000)
  await server.stop()
  const restarted = Date.now()
  await server.start()
  await until('every job', () => new Set(done()).size === 3000, 60_000)
  await until('nothing pending', async () => (await server.client().xpending(KEY, 'w') as [number])[0] === 0, 10_000)
  // An acknowledgement in flight when the connection broke is never answered: it fails at the
  // op timeout (5 s), and only then is it logged.
  await new Promise(resolve => setTimeout(resolve, Math.max(0, restarted + 5_500 - Date.now())))
  const times = new Map<number, number>()
  for (const job of done()) times.set(job, (times.get(job) ?? 0) + 1)
  const twice = [...times].filter(([, n]) => n > 1).map(([job]) => job)
  const failedIds = [...mounted.output().matchAll(/acknowledging message (\S+) of group w failed/g)].map(match => match[1])
  const payloadOf = new Map((await server.client().xrange(KEY, '-', '+')).map(([id, fields]) => [id, Number(fields[1])]))
  const unacknowledged = new Set(failedIds.map(id => payloadOf.get(id!)))
  t.ok(twice.every(job => unacknowledged.has(job)), `${twice.length} jobs done twice (${twice.join(', ') || 'none'}), each one whose acknowledgement failed while Redis was away (${failedIds.length} failed)`)
})
