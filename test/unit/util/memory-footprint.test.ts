import { execFileSync } from 'node:child_process'
import path from 'node:path'
import t from 'tap'

const FOOTPRINT = path.join(__dirname, '../../../src/util/memory-footprint.js')

// In a fresh Node process, as the command line runs it: a burst of short-lived allocation with
// some of it kept across collections, then the young generation's resident size.
const BURST = `
const v8 = require('node:v8')
const kept = []
for (let i = 0; i < 400000; i++) {
  const o = { i, s: 'x' + i, a: [i, i + 1] }
  if (i % 64 === 0) kept.push(o)
  if (kept.length > 2000) kept.length = 0
}
const young = v8.getHeapSpaceStatistics().find(s => s.space_name === 'new_space')
console.log(young.physical_space_size)
`

// A daemon's shape: a large set of objects alive throughout (held stats), then a long run of
// objects that outlive a few scavenges before they die (requests in flight); the largest heap seen.
const HELD_THEN_SERVING = `
const v8 = require('node:v8')
const held = []
for (let i = 0; i < 300000; i++) held.push({ i, s: 'held' + i })
const inFlight = new Array(20000)
let largest = 0
for (let i = 0; i < 3000000; i++) {
  inFlight[i % inFlight.length] = { i, s: 'x' + i, b: [i] }
  if (i % 10000 === 0) largest = Math.max(largest, v8.getHeapStatistics().total_heap_size)
}
console.log(held.length > 0 ? largest : 0)
`

/**
 * What `script` prints, run in a Node of its own as the command line runs: without the test
 * runner's NODE_OPTIONS (its hooks, which it puts back into the environment of every Node
 * process a test starts, so env(1) drops them), which change how the heap grows.
 */
function run (args: string[], script: string): number {
  return Number(execFileSync('env', ['-u', 'NODE_OPTIONS', process.execPath, ...args, '-e', script], { encoding: 'utf8' }).trim())
}

t.test('the command line keeps V8\'s young generation at its first size through a burst of allocation', async t => {
  const kept = run(['-r', FOOTPRINT], BURST)
  const grown = run([], BURST)
  t.ok(kept <= 2 * 1024 * 1024, `${kept} bytes with the setting`)
  t.ok(grown > kept, `${grown} bytes without it: the burst does grow it`)
})

// V8 picks its own growth factor, up to 4, from how fast it collects, which varies from run to
// run; both processes start at that largest factor, so that only the command line's setting can
// bring the heap down.
const LARGEST_V8_FACTOR = '--heap-growing-percent=300'

t.test('the command line keeps the old generation within twice what stays alive', async t => {
  const MiB = 1024 * 1024
  const bounded = run([LARGEST_V8_FACTOR, '-r', FOOTPRINT], HELD_THEN_SERVING)
  // The young generation kept small alone, to tell the old generation's part.
  const unbounded = run([LARGEST_V8_FACTOR, '--semi-space-growth-factor=1'], HELD_THEN_SERVING)
  t.ok(bounded <= 96 * MiB, `largest heap ${(bounded / MiB).toFixed(1)} MiB with the setting`)
  t.ok(unbounded >= 2 * bounded, `${(unbounded / MiB).toFixed(1)} MiB at V8's largest factor without it`)
})
