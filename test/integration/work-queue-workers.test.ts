import { spawn } from 'node:child_process'
import t from 'tap'
import { mountFor, redisFor } from '../helpers/fixture'
import { until } from '../helpers/group-readers'
import { sh, track } from '../../scripts/support/processes'

// The everyday shapes of a worker that reads a `.group/` file, killed (the whole process group,
// as a container stop or a service manager does) while it works on its job: the job is not
// acknowledged, and another mount gets it once the visibility timeout has passed. And the same
// shapes left to finish: their job is acknowledged.

const PYTHON_LOOP = `
import sys, time
for line in open(sys.argv[1]):
    print('got', line.strip(), flush=True)
    time.sleep(float(sys.argv[2]))
`
const PYTHON_THREADS = `
import os, sys, threading, time
def work():
    with open(sys.argv[1]) as f:
        os.write(1, ('got ' + f.readline().strip() + '\\n').encode())
        time.sleep(float(sys.argv[2]))
threads = [threading.Thread(target=work) for _ in range(2)]
for thread in threads: thread.start()
for thread in threads: thread.join()
`
const PYTHON_SHARED_FILE = `
import os, sys, threading, time
f = open(sys.argv[1], 'rb', buffering=0)
def work():
    os.write(1, b'got ' + f.read(65536).strip() + b'\\n')
    time.sleep(float(sys.argv[2]))
threads = [threading.Thread(target=work) for _ in range(2)]
for thread in threads: thread.start()
for thread in threads: thread.join()
`
const NODE_LOOP = `
const fs = require('fs')
;(async () => {
  const file = await fs.promises.open(process.argv[1])
  const buffer = Buffer.alloc(65536)
  for (;;) {
    const { bytesRead } = await file.read(buffer, 0, buffer.length, null)
    if (bytesRead === 0) break
    console.log('got', buffer.subarray(0, bytesRead).toString().trim())
    await new Promise(resolve => setTimeout(resolve, Number(process.argv[2]) * 1000))
  }
  await file.close()
})()
`

/**
 * A worker reading "$FILE" and working on each job for "$WORK" seconds: it takes `takes` jobs at
 * once, and either exits after them or `loops` on to the next.
 */
interface Shape { name: string, takes: number, loops: boolean, script: string }

const SHAPES: readonly Shape[] = [
  { name: 'exec 3<, then read <&3 (bash dups the descriptor for the read)', takes: 1, loops: false, script: 'exec 3< "$FILE"; read -r job <&3; echo "got $job"; sleep "$WORK"' },
  { name: 'exec 3<, then read -u 3', takes: 1, loops: false, script: 'exec 3< "$FILE"; read -r -u 3 job; echo "got $job"; sleep "$WORK"' },
  { name: 'a while read loop on the file', takes: 1, loops: true, script: 'while read -r job; do echo "got $job"; sleep "$WORK"; done < "$FILE"' },
  { name: 'a Python loop over the file', takes: 1, loops: true, script: `exec python3 -c "${PYTHON_LOOP}" "$FILE" "$WORK"` },
  { name: 'a Node reader, one read per job', takes: 1, loops: true, script: `exec node -e "${NODE_LOOP.replace(/"/g, '\\"')}" "$FILE" "$WORK"` },
  { name: 'a Python reader with two threads, a file each', takes: 2, loops: false, script: `exec python3 -c "${PYTHON_THREADS}" "$FILE" "$WORK"` }
]

interface Worker {
  /** Every "got JOB" line so far. */
  got (): string[]
  /** Kills the worker's whole process group; resolves once its leader is gone. */
  kill (): Promise<void>
  exited: Promise<number | null>
}

/** Runs `script` under bash in a process group of its own. */
function worker (file: string, script: string, work: number): Worker {
  const child = track(spawn('bash', ['-c', script], { detached: true, env: { ...process.env, FILE: file, WORK: String(work) }, stdio: ['ignore', 'pipe', 'inherit'] }))
  let output = ''
  child.stdout!.on('data', chunk => { output += chunk })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  const kill = async (): Promise<void> => {
    try { process.kill(-child.pid!, 'SIGKILL') } catch {} // gone already
    await exited
  }
  return { got: () => output.split('\n').filter(line => line.startsWith('got ')), kill, exited }
}

type Client = ReturnType<Awaited<ReturnType<typeof redisFor>>['client']>

const pendingOf = async (client: Client, topic: string): Promise<number> =>
  (await client.xpending(`dnpipes:{${topic}}`, 'w') as [number])[0]

/** The payloads of the messages of group w of `topic` that are handed out and not acknowledged. */
async function pendingJobs (client: Client, topic: string): Promise<string[]> {
  const key = `dnpipes:{${topic}}`
  const pending = await client.xpending(key, 'w', '-', '+', 100) as Array<[string]>
  const entries = await Promise.all(pending.map(async ([id]) => await client.xrange(key, id, id)))
  return entries.flatMap(found => found.map(([, fields]) => fields[1]!))
}

t.test('killed while working: every shape keeps its jobs, which another mount gets after the timeout', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server, { args: ['--visibility-timeout', '1'] })
  const b = await mountFor(t, server, { args: ['--visibility-timeout', '1'] })
  const workers = await Promise.all(SHAPES.map(async (shape, i) => {
    const topic = `shape${i}`
    await sh(`for n in $(seq ${shape.takes}); do echo "${topic}-job$n"; done >> ${a.dir}/${topic}`)
    const running = worker(`${a.dir}/.group/w/${topic}`, shape.script, 60)
    t.teardown(running.kill)
    return { shape, topic, running }
  }))
  for (const { shape, topic, running } of workers) {
    await until(`${shape.name}: its jobs to be taken`, () => running.got().length >= shape.takes)
    t.equal(await pendingOf(server.client(), topic), shape.takes, `${shape.name}: working, the job is pending`)
  }
  await Promise.all(workers.map(({ running }) => running.kill()))
  for (const { shape, topic, running } of workers) {
    const taken = running.got().map(line => line.slice('got '.length)).sort()
    const again = await sh(`timeout 10 head -n ${shape.takes} ${b.dir}/.group/w/${topic}`)
    t.same(again.stdout.toString().split('\n').filter(Boolean).sort(), taken, `${shape.name}: killed, its job went to another mount`)
  }
})

t.test('left to finish: every shape acknowledges what it took, and nothing taken comes back', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server, { args: ['--visibility-timeout', '0.5'] })
  const left = new Map<string, string>()
  for (const [i, shape] of SHAPES.entries()) {
    const topic = `done${i}`
    const jobs = Array.from({ length: shape.takes + 1 }, (_, n) => `${topic}-job${n}`)
    await sh(`printf '%s\\n' ${jobs.join(' ')} >> ${a.dir}/${topic}`)
    const running = worker(`${a.dir}/.group/w/${topic}`, shape.script, 0)
    t.teardown(running.kill)
    if (shape.loops) {
      await until(`${shape.name}: every job to be taken`, () => running.got().length === jobs.length)
      await until(`${shape.name}: the last one acknowledged by the next read`, async () => await pendingOf(server.client(), topic) === 0)
      left.set(topic, '')
    } else {
      t.equal(await running.exited, 0, `${shape.name}: exited 0`)
      // The kernel sends RELEASE for the last close in the background, after the process is gone.
      // What the reader took is acknowledged then; a job the mount claimed ahead for it and that
      // it never read is not its to acknowledge (the check after the timeout covers that one).
      const taken = running.got().map(line => line.slice('got '.length))
      await until(`${shape.name}: ${taken.join(', ')} acknowledged at its exit`, async () => (await pendingJobs(server.client(), topic)).every(job => !taken.includes(job)))
      t.pass(`${shape.name}: what it took is acknowledged at its exit`)
      left.set(topic, jobs.filter(job => !running.got().includes(`got ${job}`)).join(''))
    }
    await running.kill()
  }
  await new Promise(resolve => setTimeout(resolve, 700))
  for (const [i, shape] of SHAPES.entries()) {
    const rest = await sh(`timeout 1 head -n 1 ${a.dir}/.group/w/done${i}`)
    const expected = left.get(`done${i}`)
    t.equal(rest.stdout.toString(), expected ? `${expected}\n` : '', `${shape.name}: past the timeout, only the job it did not take`)
  }
})

t.test('the shapes that are not at least once, as the README says: their job is acknowledged before the work', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server)
  const early: ReadonlyArray<{ name: string, script: string }> = [
    // xargs reads the next argument before it runs the command for the one before.
    { name: 'xargs -n 1', script: 'xargs -n 1 sh -c \'echo "got $0"; sleep "$WORK"\' < "$FILE"' },
    { name: 'read job < file, then the work', script: 'read -r job < "$FILE"; echo "got $job"; sleep "$WORK"' },
    { name: 'job=$(head -n 1 file), then the work', script: 'job=$(head -n 1 "$FILE"); echo "got $job"; sleep "$WORK"' },
    { name: 'two threads sharing one open file', script: `exec python3 -c "${PYTHON_SHARED_FILE}" "$FILE" "$WORK"` }
  ]
  for (const [i, shape] of early.entries()) {
    const topic = `early${i}`
    await sh(`printf 'a\\nb\\n' >> ${a.dir}/${topic}`)
    const running = worker(`${a.dir}/.group/w/${topic}`, shape.script, 60)
    t.teardown(running.kill)
    await until(`${shape.name}: a job to be taken`, () => running.got().length > 0)
    const working = running.got()[0]!.slice('got '.length)
    await until(`${shape.name}: ${working} acknowledged while its work goes on`, async () => !(await pendingJobs(server.client(), topic)).includes(working))
    t.ok(running.got().length > 0, `${shape.name}: ${working} acknowledged before its work ended`)
    await running.kill()
  }
})
