import t from 'tap'
import { moveToDeadLetters } from '../../../../src/topics/readers/dead-letters'
import { TopicError } from '../../../../src/topics/errors'
import { MemoryEngine } from '../../../../src/topics/memory/memory-engine'
import { messagesOf } from '../../../helpers/topic-io'

const message = (text: string) => ({ payload: Buffer.from(text), verbatim: false })

t.test('a missing TOPIC.dead is made with the topic\'s owner, group and mode, and gets the message', async t => {
  const engine = new MemoryEngine()
  await engine.create('q', { owner: 1000, group: 100, mode: 0o640 })
  t.equal(await moveToDeadLetters(engine, 'q', message('poison')), 'q.dead')
  const dead = (await engine.statTopic('q.dead'))!
  t.same([dead.owner, dead.group, dead.mode], [1000, 100, 0o640])
  t.same(await messagesOf(engine, 'q.dead'), ['poison\n'])
})

t.test('an existing TOPIC.dead is appended to', async t => {
  const engine = new MemoryEngine()
  await engine.create('q')
  const { uid } = await engine.create('q.dead')
  await engine.append('q.dead', uid, [message('first')])
  await moveToDeadLetters(engine, 'q', message('second'))
  t.same(await messagesOf(engine, 'q.dead'), ['first\n', 'second\n'])
})

t.test('a directory named TOPIC.dead leaves no place for dead letters: EISDIR', async t => {
  const engine = new MemoryEngine()
  await engine.create('q')
  await engine.mkdir('q.dead')
  const failed = await moveToDeadLetters(engine, 'q', message('poison')).then(() => undefined, (err: unknown) => err)
  t.ok(failed instanceof TopicError && failed.code === 'EISDIR', `refused: ${String(failed)}`)
})
