import { appendFileSync, readFileSync } from 'node:fs'
import path from 'node:path'
import t, { Test } from 'tap'
import tmp from 'tmp'
import { JournalFile, parseRecords } from '../../../src/restart/journal-file'

function dir (t: Test): string {
  const made = tmp.dirSync({ unsafeCleanup: true })
  t.teardown(() => made.removeCallback())
  return made.name
}

t.test('records reach the file only when flushed, and the next opener reads them in order', async t => {
  const at = dir(t)
  const first = JournalFile.open(at)
  t.same(first.records, [])
  first.journal.record({ t: 'node', id: 2, path: '/a' })
  first.journal.record({ t: 'closed', fh: 3 })
  t.same(JournalFile.open(at).records, [], 'nothing before the flush')
  first.journal.flush()
  const second = JournalFile.open(at)
  t.same(second.records, [{ t: 'node', id: 2, path: '/a' }, { t: 'closed', fh: 3 }])
  second.journal.record({ t: 'dropped', id: 2 })
  second.journal.close()
  t.same(JournalFile.open(at).records.map(r => r.t), ['node', 'closed', 'dropped'], 'the next server appends')
})

t.test('a last line cut short is left out; so is everything after it', async t => {
  t.same(parseRecords('{"t":"dropped","id":2}\n{"t":"node","id":3,"pa'), [{ t: 'dropped', id: 2 }])
  t.same(parseRecords(''), [])
  const at = dir(t)
  appendFileSync(path.join(at, 'journal'), '{"t":"closed","fh":1}\n{"t":"clo')
  t.same(JournalFile.open(at).records, [{ t: 'closed', fh: 1 }])
})

t.test('compaction replaces the journal by the state, unflushed records included, and appending goes on after it', async t => {
  const at = dir(t)
  const { journal } = JournalFile.open(at)
  for (let i = 0; i < 100; i++) journal.record({ t: 'node', id: i + 2, path: `/n${i}` })
  journal.flush()
  journal.record({ t: 'dropped', id: 5 })
  journal.compact([{ t: 'node', id: 2, path: '/n0' }])
  t.equal(readFileSync(path.join(at, 'journal'), 'utf8'), '{"t":"node","id":2,"path":"/n0"}\n')
  journal.record({ t: 'unlinked', path: '/n0' })
  journal.flush()
  t.same(JournalFile.open(at).records, [{ t: 'node', id: 2, path: '/n0' }, { t: 'unlinked', path: '/n0' }])
})

t.test('the journal is large past 4 MiB, and small again once compacted', async t => {
  const at = dir(t)
  const { journal } = JournalFile.open(at)
  const path = 'x'.repeat(1000)
  while (!journal.large) {
    for (let i = 0; i < 100; i++) journal.record({ t: 'unlinked', path })
    journal.flush()
  }
  t.ok(readFileSync(`${at}/journal`).length > 4 * 1024 * 1024)
  journal.compact([])
  t.notOk(journal.large)
})

t.test('a deferred record waits for the next that is not, and comes before it', async t => {
  const at = dir(t)
  const { journal } = JournalFile.open(at)
  journal.record({ t: 'closed', fh: 1 }, true)
  journal.flush()
  t.same(JournalFile.open(at).records, [], 'nothing written for a deferred record alone')
  journal.record({ t: 'node', id: 2, path: '/a' })
  journal.flush()
  t.same(JournalFile.open(at).records, [{ t: 'closed', fh: 1 }, { t: 'node', id: 2, path: '/a' }])
  journal.record({ t: 'closed', fh: 3 }, true)
  journal.close()
  t.same(JournalFile.open(at).records.at(-1), { t: 'closed', fh: 3 }, 'written at close')
})
