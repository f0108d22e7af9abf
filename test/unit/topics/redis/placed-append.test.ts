import { ReplyError } from 'ioredis'
import t from 'tap'
import { UnplacedError, UnreconciledError } from '../../../../src/topics/redis/failures'
import { LastIds, placedOutcome } from '../../../../src/topics/redis/placed-append'

// As ioredis gives the failures within EXEC's reply.
const replyError = (message: string): Error => new (ReplyError as unknown as new (message: string) => Error)(message)

t.test('EXEC replies: added and accounted', async t => {
  t.same(placedOutcome([Buffer.from('131072'), Buffer.from('9-1'), 3], Buffer.from('9-1')), { kind: 'done', reply: ['131072', '9-1', 3] })
})

t.test('EXEC replies: added by the XADD, but the script failed (NOSCRIPT): left to account', async t => {
  const outcome = placedOutcome(replyError('NOSCRIPT No matching script'), Buffer.from('9-1'))
  t.equal(outcome.kind, 'unaccounted')
})

t.test('EXEC replies: accounted, but the XADD failed or found no stream', async t => {
  t.equal(placedOutcome([Buffer.from('1'), Buffer.from('9-1'), 1], replyError('ERR The ID specified in XADD is equal or smaller')).kind, 'unstored')
  t.equal(placedOutcome([Buffer.from('1'), Buffer.from('9-1'), 1], null).kind, 'unstored')
})

t.test('EXEC replies: refused by the script, typed as the scripts type their errors', async t => {
  const unplaced = placedOutcome(replyError('UNPLACED the topic has retention limits'), replyError('ERR The ID specified in XADD is equal or smaller'))
  t.ok(unplaced.kind === 'refused' && unplaced.error instanceof UnplacedError)
  const unreconciled = placedOutcome(replyError('UNRECONCILED another client changed the stream'), replyError('ERR smaller'))
  t.ok(unreconciled.kind === 'refused' && unreconciled.error instanceof UnreconciledError)
  const stale = placedOutcome(replyError('ESTALE the topic was removed'), null)
  t.ok(stale.kind === 'refused' && !(stale.error instanceof UnplacedError) && (stale.error as { code?: string }).code === 'ESTALE')
})

t.test('last ids: the most recent topics are remembered, the oldest forgotten first', async t => {
  const ids = new LastIds(2)
  ids.set('a', '1-0')
  ids.set('b', '2-0')
  ids.set('a', '3-0')
  ids.set('c', '4-0')
  t.equal(ids.get('a'), '3-0', 'set again: recent')
  t.equal(ids.get('b'), undefined, 'the oldest is forgotten')
  t.equal(ids.get('c'), '4-0')
})
