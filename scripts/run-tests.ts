import { spawn } from 'node:child_process'
import path from 'node:path'
import readline from 'node:readline'

/**
 * Runs the whole suite with tap, passing its TAP output through, and ends with one line
 * "N passed, M failed[, K skipped]" that counts the tests (each t.test of a file), not the
 * assertions. A test file that dies before reporting its tests counts as one failed test.
 */
const tap = spawn(process.execPath, [path.join(path.dirname(require.resolve('tap/package.json')), 'dist/esm/run.mjs'), '--reporter=tap', ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'inherit'] })

let passed = 0
let failed = 0
let skipped = 0
let failedInFile = 0

const lines = readline.createInterface({ input: tap.stdout })
lines.on('line', line => {
  console.log(line)
  const test = /^ {4}(not )?ok \d+ - .*?(# (SKIP|TODO)\b.*)?$/.exec(line)
  if (test) {
    if (test[3]) skipped++
    else if (test[1]) { failed++; failedInFile++ } else passed++
    return
  }
  const file = /^(not )?ok \d+ - /.exec(line)
  if (file) {
    if (file[1] && failedInFile === 0) failed++
    failedInFile = 0
  }
})

tap.on('close', code => {
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
  process.exit(code === 0 && failed === 0 ? 0 : 1)
})
