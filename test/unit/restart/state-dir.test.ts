import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { makeStateDir, removeStateDir } from '../../../src/restart/state-dir'

t.test('a state directory is its own, named after the mount process; those of mount processes gone are removed', async t => {
  const base = existsSync('/dev/shm') ? '/dev/shm' : require('node:os').tmpdir()
  // A pid above any this machine hands out: its mount process is gone.
  const orphan = path.join(base, 'dnpipes-4194303-jobs-test')
  const alive = path.join(base, `dnpipes-${process.ppid}-jobs-test`)
  const other = path.join(base, 'dnpipes-not-a-state-dir')
  for (const dir of [orphan, alive, other]) mkdirSync(dir, { recursive: true })
  t.teardown(() => { for (const dir of [orphan, alive, other]) removeStateDir(dir) })
  const made = makeStateDir('/mnt/jobs')
  t.teardown(() => removeStateDir(made))
  t.match(path.basename(made), new RegExp(`^dnpipes-${process.pid}-jobs-`))
  t.notOk(existsSync(orphan), 'the directory of a mount process gone is removed')
  t.ok(existsSync(alive), 'that of a running one stays')
  t.ok(existsSync(other), 'and what is not a state directory')
})
