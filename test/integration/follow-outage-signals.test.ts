import t from 'tap'
import { mountFor, redisFor } from '../helpers/fixture'
import { startFollower, untilListening } from '../helpers/follow-check'
import { sh } from '../../scripts/support/processes'
import { waitFor } from '../../scripts/support/redis-server'

// While Redis is down, a follower still ends at once on Ctrl-C, and an unmount gives end of file.

const pause = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

t.test('while Redis is down, Ctrl-C ends a follower at once, and an unmount gives the others end of file', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server, { args: ['--op-timeout', '1000'] })
  await sh(`echo one > ${a.dir}/t`)
  const interrupted = startFollower('.follow/', 'env', ['--default-signal=INT', 'cat', `${a.dir}/.follow/t`])
  const waiting = startFollower('.live/', 'cat', [`${a.dir}/.live/t`])
  t.teardown(() => { interrupted.child.kill('SIGKILL'); waiting.child.kill('SIGKILL') })
  // Listened for from the start: a follower that ended early must fail the test, not leave it
  // waiting for an exit that already happened.
  const ended = new Promise(resolve => waiting.child.once('exit', (code, signal) => resolve(signal ?? code)))
  await waitFor(async () => interrupted.output() === 'one\n', 5000, 'the replay')
  // The .live/ follower's open must be done before Redis goes: an open during the outage fails.
  await untilListening([waiting], `${a.dir}/t`)
  await server.stop('SIGKILL')
  await pause(1500) // the followers are waiting out the outage now
  t.equal(interrupted.child.exitCode, null, 'still waiting, no error')
  t.equal(waiting.child.exitCode, null, `the .live/ follower is still waiting too: ${waiting.output()}`)
  const exited = new Promise(resolve => interrupted.child.once('exit', (code, signal) => resolve(signal ?? code)))
  const started = Date.now()
  interrupted.child.kill('SIGINT')
  t.equal(await exited, 'SIGINT')
  t.ok(Date.now() - started < 2000, `Ctrl-C ended it in ${Date.now() - started} ms`)
  const unmounting = Date.now()
  await a.stop()
  t.equal(await ended, 0, 'end of file at the unmount')
  t.ok(Date.now() - unmounting < 5000, `the unmount took ${Date.now() - unmounting} ms`)
  await server.start()
})
