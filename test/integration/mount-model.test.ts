import fc from 'fast-check'
import t from 'tap'
import { mountFor, redisFor } from '../helpers/fixture'
import { readMismatch } from '../helpers/read-check'
import { sh, shellQuote } from '../../scripts/support/processes'

// A random sequence of file operations on a real mount behaves like a simple in-memory model
// of the contract: a topic is the concatenation of what was appended since its last reset.

type Op =
  | { kind: 'append', topic: string, text: string }
  | { kind: 'overwrite', topic: string, text: string }
  | { kind: 'reset', topic: string }
  | { kind: 'remove', topic: string }
  | { kind: 'touch', topic: string }
  | { kind: 'rename', topic: string, to: string }
  | { kind: 'check', topic: string }

const topic = fc.constantFrom('a', 'b', 'c')
const text = fc.string({ unit: fc.constantFrom('x', 'y', ' ', '\n', 'é'), minLength: 1, maxLength: 12 })
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), topic, text }),
  fc.record({ kind: fc.constant('overwrite' as const), topic, text }),
  fc.record({ kind: fc.constant('reset' as const), topic }),
  fc.record({ kind: fc.constant('remove' as const), topic }),
  fc.record({ kind: fc.constant('touch' as const), topic }),
  fc.record({ kind: fc.constant('rename' as const), topic, to: topic }),
  fc.record({ kind: fc.constant('check' as const), topic })
)

t.test('random operation sequences match the model', async t => {
  const server = await redisFor(t)
  let round = 0
  await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 25 }), async ops => {
    // A fresh prefix per run, so that runs do not see each other.
    const mounted = await mountFor(t, server, { args: ['--prefix', `model${round++}:`] })
    const model = new Map<string, string>()
    try {
      for (const step of ops) {
        const file = `${mounted.dir}/${step.topic}`
        switch (step.kind) {
          case 'append':
          case 'overwrite': {
            // `>` ignores O_TRUNC (the default --otrunc ignore): both append.
            const result = await sh(`printf %s ${shellQuote(step.text)} ${step.kind === 'append' ? '>>' : '>'} ${file}`)
            if (result.code !== 0) return false
            model.set(step.topic, (model.get(step.topic) ?? '') + step.text)
            break
          }
          case 'reset': {
            const result = await sh(`truncate -s 0 ${file}`)
            if (model.has(step.topic)) {
              if (result.code !== 0) return false
              model.set(step.topic, '')
            } else if (result.code !== 0) {
              // truncate -s 0 creates a missing file, as on any filesystem.
              return false
            } else model.set(step.topic, '')
            break
          }
          case 'remove': {
            const result = await sh(`rm ${file}`)
            if ((result.code === 0) !== model.has(step.topic)) return false
            model.delete(step.topic)
            break
          }
          case 'touch':
            if ((await sh(`touch ${file}`)).code !== 0) return false
            if (!model.has(step.topic)) model.set(step.topic, '')
            break
          case 'rename': {
            const result = await sh(`mv -T ${file} ${mounted.dir}/${step.to}`)
            // mv refuses to move a file onto itself ("are the same file"), as everywhere.
            if ((result.code === 0) !== (model.has(step.topic) && step.topic !== step.to)) return false
            if (model.has(step.topic) && step.topic !== step.to) {
              model.set(step.to, model.get(step.topic)!)
              model.delete(step.topic)
            }
            break
          }
          case 'check':
            if (await readMismatch(mounted.dir, step.topic, model.get(step.topic)) !== undefined) return false
        }
      }
      const listing = (await sh(`ls ${mounted.dir}`)).stdout.toString().split('\n').filter(Boolean)
      return listing.join(',') === [...model.keys()].sort().join(',')
    } finally {
      await mounted.stop()
    }
  }), { numRuns: 12 })
  t.pass('12 random sequences matched the model')
})

t.test('10 000 writers opening and closing in a loop', async t => {
  const server = await redisFor(t)
  const { dir } = await mountFor(t, server)
  const shells = Array.from({ length: 4 }, (_, s) =>
    sh(`i=0; while [ $i -lt 2500 ]; do echo ${s}-$i >> ${dir}/busy; i=$((i+1)); done`, { timeoutMs: 120_000 }))
  t.same((await Promise.all(shells)).map(r => r.code), [0, 0, 0, 0])
  const lines = (await sh(`cat ${dir}/busy`)).stdout.toString().split('\n').filter(Boolean)
  t.equal(lines.length, 10_000)
  t.equal(new Set(lines).size, 10_000, 'each once')
  t.ok(lines.every(line => /^\d-\d+$/.test(line)), 'whole lines only')
})
