import { ChildProcess, spawn } from 'node:child_process'
import t from 'tap'
import { mountFor, redisFor } from '../helpers/fixture'
import { sh, track } from '../../scripts/support/processes'
import { waitFor } from '../../scripts/support/redis-server'

// A follower keeps following its topic through renames, as `tail -f` follows a renamed file.

interface Follower {
  child: ChildProcess
  output (): string
}

function follow (file: string): Follower {
  const child = track(spawn('cat', [file], { stdio: ['ignore', 'pipe', 'pipe'] }))
  let output = ''
  child.stdout!.on('data', chunk => { output += chunk })
  return { child, output: () => output }
}

const until = (what: string, check: () => boolean): Promise<void> => waitFor(async () => check(), 5000, what)

t.test('a .follow/ reader on one mount follows a topic renamed (twice) on another', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server)
  const b = await mountFor(t, server)
  await sh(`mkdir ${a.dir}/team && echo one > ${a.dir}/jobs`)
  const reader = follow(`${b.dir}/.follow/jobs`)
  const live = follow(`${b.dir}/.live/jobs`)
  t.teardown(() => { reader.child.kill('SIGKILL'); live.child.kill('SIGKILL') })
  await until('the replay', () => reader.output() === 'one\n')
  await sh(`echo two >> ${a.dir}/jobs`)
  await until('a message before the rename', () => reader.output() === 'one\ntwo\n' && live.output() === 'two\n')

  await sh(`mv ${a.dir}/jobs ${a.dir}/team/renamed && echo three >> ${a.dir}/team/renamed`)
  await until('a message after the rename', () => reader.output() === 'one\ntwo\nthree\n')
  await sh(`mv ${a.dir}/team/renamed ${a.dir}/again && echo four >> ${a.dir}/again`)
  await until('a message after a second rename', () => reader.output() === 'one\ntwo\nthree\nfour\n')
  await until('the same for .live', () => live.output() === 'two\nthree\nfour\n')
  t.equal(reader.child.exitCode, null, 'the follower still waits')

  // A new topic under the old name is another file: the follower stays with the one it had.
  await sh(`echo stranger > ${a.dir}/jobs && echo five >> ${a.dir}/again`)
  await until('the renamed topic\'s next message', () => reader.output().endsWith('four\nfive\n'))
  t.notMatch(reader.output(), /stranger/)
})

t.test('a .follow/ reader follows a topic renamed through its own mount; a removal still ends it', async t => {
  const server = await redisFor(t)
  const a = await mountFor(t, server)
  await sh(`echo one > ${a.dir}/log`)
  const reader = follow(`${a.dir}/.follow/log`)
  t.teardown(() => { reader.child.kill('SIGKILL') })
  await until('the replay', () => reader.output() === 'one\n')
  await sh(`mv ${a.dir}/log ${a.dir}/log.1 && echo two >> ${a.dir}/log.1`)
  await until('a message after the rename', () => reader.output() === 'one\ntwo\n')
  const exited = new Promise(resolve => reader.child.once('exit', resolve))
  await sh(`rm ${a.dir}/log.1`)
  t.equal(await exited, 0, 'end of file once the topic is removed')
})
