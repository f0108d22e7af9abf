import t from 'tap'
import { ReplyError } from 'ioredis'
import { Errno, errnoName, toErrno } from '../../../src/mount/errno'
import { TopicError } from '../../../src/topics/errors'
import { toTopicFailure } from '../../../src/topics/redis/failures'
import { DeadlineError } from '../../../src/util/deadline'

// Redis's replies reach the errno mapping typed by the topic layer's boundary (toTopicFailure),
// as they do in the daemon; the mapping itself reads no text.
const reply = (message: string): unknown => toTopicFailure(new (ReplyError as new (m: string) => Error)(message))

t.test('topic errors keep their errno', async t => {
  t.equal(toErrno(new TopicError('ENOTEMPTY', 'x')), Errno.ENOTEMPTY)
  t.equal(toErrno(new TopicError('ENAMETOOLONG', 'x')), -36)
})

t.test('script replies that lead with an errno name map to it', async t => {
  t.equal(toErrno(reply('ESTALE the topic was removed after it was opened')), Errno.ESTALE)
  t.equal(toErrno(reply('ENOENT no such topic')), Errno.ENOENT)
})

t.test('Redis conditions with a natural errno', async t => {
  t.equal(toErrno(reply("OOM command not allowed when used memory > 'maxmemory'.")), Errno.ENOSPC)
  t.equal(toErrno(reply("READONLY You can't write against a read only replica.")), Errno.EROFS)
})

t.test('everything else, timeouts and lost connections included, is EIO', async t => {
  t.equal(toErrno(new DeadlineError('read', 5000)), Errno.EIO)
  t.equal(toErrno(toTopicFailure(new Error('Connection is closed.'))), Errno.EIO)
  t.equal(toErrno(reply('ERR unknown command')), Errno.EIO)
  t.equal(toErrno('weird'), Errno.EIO)
})

t.test('a text that merely looks like a reply is not read: EIO', async t => {
  t.equal(toErrno(new Error('ESTALE the topic was removed after it was opened')), Errno.EIO)
})

t.test('errnoName', async t => {
  t.equal(errnoName(-2), 'ENOENT')
  t.equal(errnoName(-9999), '-9999')
})
