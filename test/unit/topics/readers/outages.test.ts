import t from 'tap'
import { TopicError } from '../../../../src/topics/errors'
import { outlastingOutages } from '../../../../src/topics/readers/outages'
import { TimeoutError } from '../../../../src/util/deadline'

// A reader's wait through an engine's outages: transient failures are waited out, others thrown.

/** An attempt that fails with `failures` in turn, then answers `answer`. */
function failingThen<T> (failures: unknown[], answer: T): { attempt: () => Promise<T>, calls: () => number } {
  let calls = 0
  return {
    attempt: async () => {
      const failure = failures[calls++]
      if (failure !== undefined) throw failure
      return answer
    },
    calls: () => calls
  }
}

t.test('transient failures are waited out and the answer comes once the engine gives it', async t => {
  const cut = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })
  const { attempt, calls } = failingThen([new TimeoutError('slow'), cut, Object.assign(new Error('loading'), { transient: true })], 'page')
  const heard: string[] = []
  t.equal(await outlastingOutages(attempt, new AbortController().signal, 'aborted', err => heard.push(err.message)), 'page')
  t.equal(calls(), 4)
  t.same(heard, ['slow'], 'told once, of the first failure of the run')
})

t.test('any other failure is thrown at once', async t => {
  const { attempt, calls } = failingThen([new TopicError('ENOENT', 'gone')], 'page')
  await t.rejects(outlastingOutages(attempt, new AbortController().signal, 'aborted', () => {}), { code: 'ENOENT' })
  t.equal(calls(), 1)
})

t.test('an abort during a wait gives the aborted answer without another attempt', async t => {
  const controller = new AbortController()
  let calls = 0
  const attempt = async (): Promise<string> => {
    calls++
    throw new TimeoutError('slow')
  }
  const waited = outlastingOutages(attempt, controller.signal, 'aborted', () => controller.abort())
  t.equal(await waited, 'aborted')
  t.equal(calls, 1)
})
