import path from 'node:path'
import t from 'tap'
import { run } from '../../scripts/support/processes'

// The benchmark is not a timed test; this small run only keeps it from rotting.

t.test('npm run bench -- --quick runs every workload and prints the table', async t => {
  const script = path.resolve(__dirname, '../../scripts/bench/index.js')
  const result = await run(process.execPath, [script, '--quick'], { timeoutMs: 120_000 })
  t.equal(result.code, 0, result.stderr)
  const table = result.stdout.toString()
  for (const id of ['W1', 'W2', 'W3', 'W4', 'R1', 'R2', 'L1', 'S1', 'S2', 'S3', 'Q1', 'Q2', 'Q3', 'C1', 'C2', 'M1']) t.match(table, new RegExp(`^\\| ${id} \\|.*\\| ([0-9.]+|∞)x \\|$`, 'm'), id)
  t.match(table, /^\| W1 \| W1 into a topic keeping \d+ messages .*\| W1 without a limit, same run \| .*x \|$/m, 'W1 with a retention limit')
  t.match(table, /^\| Q1 \| \d+ jobs, 4 x dnpipes work .*\| ([0-9.]+|∞)x \|$/m, 'Q1 for dnpipes work')
  t.match(table, /^\| R1 \| growth on topics trimmed by \d+ appends each: .*\| linear \| .*x \|$/m, 'R1 growth after trimming')
})
