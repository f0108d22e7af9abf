import t from 'tap'
import { FollowFile, Handles } from '../../../src/mount/handles'
import { OpenFile } from '../../../src/mount/open-file'
import { FollowCursor, FROM_FIRST } from '../../../src/topics/readers/follow-cursor'
import { MemoryEngine } from '../../../src/topics/memory/memory-engine'

const engine = new MemoryEngine()
const plain = (path: string, writable = true): OpenFile => new OpenFile(engine, path, 'uid', writable, 'line')
const follow = (path: string): FollowFile => ({ kind: 'follow', cursor: new FollowCursor(engine, path, 'uid', FROM_FIRST) })

t.test('handles are numbered from 1, never reused, and taken once', async t => {
  const handles = new Handles()
  const a = plain('a')
  const b = follow('b')
  t.equal(handles.add(a), 1)
  t.equal(handles.add(b), 2)
  t.equal(handles.get(1), a)
  t.equal(handles.get(2), b)
  t.equal(handles.take(1), a)
  t.equal(handles.get(1), undefined)
  t.equal(handles.take(1), undefined, 'a second take finds nothing')
  t.equal(handles.add(plain('c')), 3, 'a freed number is not given again')
})

t.test('plain() is an open topic file; anything else is EBADF', async t => {
  const handles = new Handles()
  const file = plain('a')
  const one = handles.add(file)
  const two = handles.add(follow('a'))
  t.equal(handles.plain(one), file)
  t.throws(() => handles.plain(two), { code: 'EBADF' })
  t.throws(() => handles.plain(99), { code: 'EBADF' })
})

t.test('followers are counted and known as such', async t => {
  const handles = new Handles()
  const one = handles.add(plain('a'))
  const two = handles.add(follow('a'))
  handles.add(follow('b'))
  t.equal(handles.followers, 2)
  t.notOk(handles.isFollowing(one))
  t.ok(handles.isFollowing(two))
  t.notOk(handles.isFollowing(99))
  handles.take(two)
  t.equal(handles.followers, 1)
})

t.test('a rename moves the open files of that path, plain and following', async t => {
  const handles = new Handles()
  const moved = plain('a')
  const other = plain('ab')
  const follower = follow('a')
  const otherFollower = follow('b')
  for (const file of [moved, other, follower, otherFollower]) handles.add(file)
  handles.renamed('a', 'd/z')
  t.equal(moved.path, 'd/z')
  t.equal(follower.cursor.path, 'd/z')
  t.equal(other.path, 'ab', 'another path stays')
  t.equal(otherFollower.cursor.path, 'b')
})
