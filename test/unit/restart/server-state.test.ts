import { readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import t, { Test } from 'tap'
import tmp from 'tmp'
import type { FileState } from '../../../src/restart/records'
import { ServerState } from '../../../src/restart/server-state'

// ServerState: the state journal wired to the node table and open files, as the next server takes it over.

function dir (t: Test): string {
  const made = tmp.dirSync({ unsafeCleanup: true })
  t.teardown(() => made.removeCallback())
  return made.name
}

/** The state the next server would take over from `stateDir`, as it is on disk now. */
function takeOver (t: Test, stateDir: string): ServerState {
  const next = new ServerState(stateDir)
  t.teardown(() => next.close())
  return next
}

const journalLines = (stateDir: string): Array<Record<string, unknown>> =>
  readFileSync(path.join(stateDir, 'journal'), 'utf8').split('\n').filter(line => line !== '').map(line => JSON.parse(line) as Record<string, unknown>)

const plainFile: FileState = { kind: 'plain', path: 'jobs', uid: 'u1', writable: true }
const followFile: FileState = { kind: 'follow', path: 'log', uid: 'u2', afterId: '0-0' }

t.test('a fresh state directory: the root alone, no open files, and a journal that is empty once started', async t => {
  const at = dir(t)
  const state = new ServerState(at)
  t.equal(state.nodes.size, 1)
  t.equal(state.nodes.pathOf(1), '/')
  t.equal(state.files.size, 0)
  state.start(() => new Map())
  t.equal(readFileSync(path.join(at, 'journal'), 'utf8'), '')
  state.close()
})

t.test('nodes and open files reach the next server once flushed, not before', async t => {
  const at = dir(t)
  const state = new ServerState(at)
  state.start(() => new Map())
  const a = state.nodes.remember('/a')
  const c = state.nodes.remember('/b/c')
  state.fileJournal.opened(7, plainFile)
  const early = takeOver(t, at)
  t.equal(early.nodes.size, 1, 'nothing written before the flush: the kernel heard of nothing yet')
  t.equal(early.files.size, 0)
  state.flush()
  const next = takeOver(t, at)
  t.equal(next.nodes.pathOf(a), '/a')
  t.equal(next.nodes.idOf('/b/c'), c)
  t.same([...next.files], [[7, plainFile]])
  t.ok(next.nodes.remember('/d') > c, 'the next server\'s new nodes come after those taken over')
  state.close()
})

t.test('the next server sees the node table as the kernel holds it: forgotten, unlinked and renamed nodes', async t => {
  const at = dir(t)
  const state = new ServerState(at)
  state.start(() => new Map())
  const gone = state.nodes.remember('/gone')
  const removed = state.nodes.remember('/removed')
  const dir1 = state.nodes.remember('/d')
  const inside = state.nodes.remember('/d/t')
  state.nodes.forget(gone, 1)
  state.nodes.unlinked('/removed')
  state.nodes.renamed('/d', '/e')
  state.flush()
  const next = takeOver(t, at)
  t.equal(next.nodes.pathOf(gone), undefined)
  t.equal(next.nodes.pathOf(removed), '/removed', 'an unlinked node keeps its path for its open files')
  t.equal(next.nodes.idOf('/removed'), undefined, 'but the name no longer reaches it')
  t.equal(next.nodes.idOf('/e'), dir1)
  t.equal(next.nodes.pathOf(inside), '/e/t')
  state.close()
})

t.test('an open file as it goes: opened, read on, written to, closed', async t => {
  const at = dir(t)
  const state = new ServerState(at)
  state.start(() => new Map())
  state.fileJournal.opened(1, plainFile)
  state.fileJournal.opened(2, followFile)
  state.fileJournal.followed(2, { position: 30, afterId: '9-0' })
  state.fileJournal.wrote(1, '40', Buffer.from('partial'))
  state.flush()
  const files = takeOver(t, at).files
  t.same(files.get(1), { ...plainFile, held: Buffer.from('partial').toString('base64'), lastWrite: '40' })
  t.same(files.get(2), { ...followFile, page: { position: 30, afterId: '9-0' } })

  state.fileJournal.closed(1)
  state.flush()
  t.ok(takeOver(t, at).files.has(1), 'a close alone may wait: a file kept open for nothing does no harm')
  state.nodes.remember('/x')
  state.flush()
  t.notOk(takeOver(t, at).files.has(1), 'it goes with the next record that may not')
  state.fileJournal.closed(2)
  state.close()
  t.equal(takeOver(t, at).files.size, 0, 'close() writes what waits')
})

t.test('start() compacts the journal to the state taken over and the files the filesystem has open', async t => {
  const at = dir(t)
  const first = new ServerState(at)
  first.start(() => new Map())
  for (let i = 0; i < 50; i++) first.nodes.forget(first.nodes.remember(`/n${i}`), 1)
  const kept = first.nodes.remember('/kept')
  const unlinked = first.nodes.remember('/unlinked')
  first.nodes.unlinked('/unlinked')
  first.fileJournal.opened(3, plainFile)
  first.fileJournal.opened(4, followFile)
  first.fileJournal.closed(4)
  first.fileJournal.wrote(3, '41', Buffer.alloc(0))
  first.close()
  t.ok(journalLines(at).length > 100)

  const second = new ServerState(at)
  t.same([...second.files.keys()], [3])
  const open = new Map<number, FileState>([[3, second.files.get(3)!], [9, followFile]])
  second.start(() => open)
  t.same(journalLines(at), [
    { t: 'node', id: kept, path: '/kept' },
    { t: 'node', id: unlinked, path: '/unlinked', linked: false },
    { t: 'opened', fh: 3, file: { ...plainFile, lastWrite: '41' } },
    { t: 'opened', fh: 9, file: followFile }
  ])
  second.close()
  const third = takeOver(t, at)
  t.equal(third.nodes.idOf('/kept'), kept)
  t.equal(third.nodes.pathOf(unlinked), '/unlinked')
  t.equal(third.nodes.idOf('/unlinked'), undefined)
  t.same([...third.files.keys()], [3, 9])
})

t.test('a journal grown past 4 MiB is compacted at the next flush, to the state as it is', async t => {
  const at = dir(t)
  const state = new ServerState(at)
  const open = new Map<number, FileState>([[5, plainFile]])
  state.start(() => open)
  const long = 'x'.repeat(4000)
  const journal = path.join(at, 'journal')
  for (let i = 0; statSync(journal).size <= 4 * 1024 * 1024; i++) {
    state.nodes.forget(state.nodes.remember(`/${long}${i}`), 1)
    if (i % 100 === 99) state.flush()
  }
  const last = state.nodes.remember('/last')
  state.flush()
  t.ok(statSync(journal).size < 1000, `compacted: ${statSync(journal).size} bytes`)
  t.same(journalLines(at), [{ t: 'node', id: last, path: '/last' }, { t: 'opened', fh: 5, file: plainFile }])
  state.nodes.remember('/after')
  state.flush()
  const next = takeOver(t, at)
  t.equal(next.nodes.idOf('/last'), last)
  t.ok(next.nodes.idOf('/after'), 'appending goes on after the compaction')
  t.same([...next.files.keys()], [5])
  state.close()
})
