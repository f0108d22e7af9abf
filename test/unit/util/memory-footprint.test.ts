import { execFileSync } from 'node:child_process'
import path from 'node:path'
import t from 'tap'

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

function youngGenerationAfterBurst (preload: string[]): number {
  return Number(execFileSync(process.execPath, [...preload, '-e', BURST], { encoding: 'utf8' }).trim())
}

t.test('the command line keeps V8\'s young generation at its first size through a burst of allocation', async t => {
  const footprint = path.join(__dirname, '../../../src/util/memory-footprint.js')
  const kept = youngGenerationAfterBurst(['-r', footprint])
  const grown = youngGenerationAfterBurst([])
  t.ok(kept <= 2 * 1024 * 1024, `${kept} bytes with the setting`)
  t.ok(grown > kept, `${grown} bytes without it: the burst does grow it`)
})
