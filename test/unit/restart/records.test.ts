import fc from 'fast-check'
import t from 'tap'
import { NodeTable } from '../../../src/fuse/inodes'
import { adoptNodes, JournalRecord, openFiles } from '../../../src/restart/records'

/** A table whose changes are recorded as the server records them. */
function journaled (): { table: NodeTable, records: JournalRecord[] } {
  const records: JournalRecord[] = []
  const table = new NodeTable()
  table.journal = {
    created: (id, path) => records.push({ t: 'node', id, path }),
    dropped: id => records.push({ t: 'dropped', id }),
    unlinked: path => records.push({ t: 'unlinked', path }),
    renamed: (from, to) => records.push({ t: 'renamed', from, to })
  }
  return { table, records }
}

const PATHS = ['/a', '/b', '/a/x', '/a/y', '/b/x', '/c']

const operation = fc.oneof(
  fc.record({ op: fc.constant('remember' as const), path: fc.constantFrom(...PATHS) }),
  fc.record({ op: fc.constant('forget' as const), id: fc.integer({ min: 2, max: 12 }), count: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ op: fc.constant('unlinked' as const), path: fc.constantFrom(...PATHS) }),
  fc.record({ op: fc.constant('renamed' as const), from: fc.constantFrom(...PATHS), to: fc.constantFrom(...PATHS) })
)

t.test('a table taken over from the journal, or from its compacted states, maps ids and paths as the original', async () => {
  fc.assert(fc.property(fc.array(operation, { maxLength: 40 }), ops => {
    const { table, records } = journaled()
    for (const op of ops) {
      if (op.op === 'remember') table.remember(op.path)
      else if (op.op === 'forget') table.forget(op.id, op.count)
      else if (op.op === 'unlinked') table.unlinked(op.path)
      else if (op.from !== op.to && !op.to.startsWith(op.from + '/')) table.renamed(op.from, op.to)
    }
    const taken = new NodeTable()
    adoptNodes(records, taken)
    const compacted = new NodeTable()
    for (const state of table.states()) compacted.adopt(state)
    for (let id = 1; id <= 40; id++) {
      if (taken.pathOf(id) !== table.pathOf(id) || compacted.pathOf(id) !== table.pathOf(id)) return false
    }
    for (const path of ['/', ...PATHS]) {
      if (taken.idOf(path) !== table.idOf(path) || compacted.idOf(path) !== table.idOf(path)) return false
    }
    return true
  }), {
    numRuns: 300,
    // found by a CI run: a directory renamed over one whose old names the kernel still held
    examples: [[[{ op: 'remember', path: '/b/x' }, { op: 'remember', path: '/a/x' }, { op: 'renamed', from: '/b', to: '/a' }]]]
  })
})

t.test('nodes taken over are kept whatever the kernel gives back, and new ids come after theirs', async t => {
  const { table, records } = journaled()
  const a = table.remember('/a')
  table.remember('/b')
  const taken = new NodeTable()
  adoptNodes(records, taken)
  taken.forget(a, 1000)
  t.equal(taken.pathOf(a), '/a', 'a count taken over is not known: the node stays')
  t.ok(taken.remember('/c') > Math.max(...table.states().map(s => s.id)), 'a new node gets an id of its own')
  t.equal(taken.remember('/a'), a, 'a name looked up again is the node the kernel holds')
})

t.test('open files: the last state of each handle, without the closed ones', async t => {
  const files = openFiles([
    { t: 'opened', fh: 1, file: { kind: 'plain', path: 'a', uid: 'u1', writable: true } },
    { t: 'opened', fh: 2, file: { kind: 'follow', path: 'a', uid: 'u1', afterId: '0-0' } },
    { t: 'opened', fh: 3, file: { kind: 'group', path: 'a', uid: 'u1', group: 'g' } },
    { t: 'wrote', fh: 1, unique: '40', held: Buffer.from('part').toString('base64') },
    { t: 'followed', fh: 2, position: 10, afterId: '5-0' },
    { t: 'followed', fh: 2, position: 30, afterId: '9-0' },
    { t: 'closed', fh: 3 },
    { t: 'wrote', fh: 1, unique: '44', held: '' }
  ])
  t.same([...files.keys()], [1, 2])
  t.same(files.get(1), { kind: 'plain', path: 'a', uid: 'u1', writable: true, held: undefined, lastWrite: '44' })
  t.same(files.get(2), { kind: 'follow', path: 'a', uid: 'u1', afterId: '0-0', page: { position: 30, afterId: '9-0' } })
})

t.test('records of a handle not open are ignored', async t => {
  const files = openFiles([
    { t: 'followed', fh: 7, position: 1, afterId: '1-0' },
    { t: 'wrote', fh: 8, unique: '2', held: '' },
    { t: 'opened', fh: 9, file: { kind: 'group', path: 'a', uid: 'u', group: 'g' } },
    { t: 'followed', fh: 9, position: 1, afterId: '1-0' }
  ])
  t.same([...files.entries()], [[9, { kind: 'group', path: 'a', uid: 'u', group: 'g' }]])
})
