import { spawn } from 'node:child_process'
import { once } from 'node:events'
import t from 'tap'
import { dyingOfSignal, exitCodeIn, killedBySignal, processOf, threadGroupIn } from '../../../src/mount/processes'
import { track } from '../../../scripts/support/processes'

/** A /proc/PID/stat line whose 52nd field is `exitCode`, with a command name that has spaces and parentheses. */
function statLine (exitCode: number): string {
  const fields = Array.from({ length: 52 - 2 }, (_, i) => String(i + 3))
  fields[52 - 3] = String(exitCode)
  return `4242 (a (b) c) ${fields.join(' ')}\n`
}

t.test('exit_code is field 52 of /proc/PID/stat, whatever the command name holds', async t => {
  t.equal(exitCodeIn(statLine(9)), 9)
  t.equal(exitCodeIn(statLine(768)), 768)
  t.equal(exitCodeIn('1 (x) S 0'), undefined, 'a kernel too old to have it')
})

t.test('killed by a signal, in waitpid\'s form', async t => {
  t.ok(killedBySignal(9), 'SIGKILL')
  t.ok(killedBySignal(15), 'SIGTERM')
  t.ok(killedBySignal(0x80 | 11), 'SIGSEGV with a core dump')
  t.notOk(killedBySignal(0), 'alive, or exit 0')
  t.notOk(killedBySignal(3 << 8), 'exit 3 is a normal exit')
  t.notOk(killedBySignal(0x137f), 'stopped, not killed')
})

t.test('the thread group of a thread, from /proc/TID/status', async t => {
  t.equal(threadGroupIn('Name:\tnode\nTgid:\t77\nPid:\t78\n'), 77)
  t.equal(threadGroupIn('Name:\tnode\n'), undefined)
})

t.test('on this machine: a live process is its own process and is not dying; a gone one counts as killed', async t => {
  t.equal(await processOf(process.pid), process.pid)
  t.equal(await dyingOfSignal(process.pid), false)
  const child = track(spawn('sleep', ['30']))
  await once(child, 'spawn')
  const pid = child.pid!
  t.equal(await processOf(pid), pid)
  t.equal(await dyingOfSignal(pid), false)
  child.kill('SIGKILL')
  await once(child, 'exit')
  t.equal(await processOf(pid), undefined, 'gone')
  t.equal(await dyingOfSignal(pid), true, 'what it held is not taken as done')
})
