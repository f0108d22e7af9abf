import t from 'tap'
import { EntryHolder, HeldLookups } from '../../../src/fuse/held-lookups'

// HeldLookups: the names the connection's reader answers, dropped by node, its answers counted for the node table.

interface Reader extends EntryHolder {
  /** What the reader holds now: "parent/name" to the reply's text. */
  held: Map<string, string>
  /** Lookups the reader answered from each entry since it was held: "parent/name" to a count. */
  answered: Map<string, number>
}

/** A reader as native/held-entries.h behaves: hold replaces and drop removes, each returning the lookups answered. */
function reader (): Reader {
  const held = new Map<string, string>()
  const answered = new Map<string, number>()
  const take = (key: string): number => {
    const count = answered.get(key) ?? 0
    answered.delete(key)
    return count
  }
  return {
    held,
    answered,
    hold (parent, name, reply) {
      const key = `${parent}/${name.toString()}`
      held.set(key, reply.toString())
      return take(key)
    },
    drop (parent, name) {
      const key = `${parent}/${name.toString()}`
      held.delete(key)
      return take(key)
    }
  }
}

function setup (): { lookups: HeldLookups, reader: Reader, counted: Array<[number, number]> } {
  const counted: Array<[number, number]> = []
  const lookups = new HeldLookups((nodeid, count) => counted.push([nodeid, count]))
  const r = reader()
  lookups.holder = r
  return { lookups, reader: r, counted }
}

t.test('nothing is held before the session gives a holder', async t => {
  const counted: number[] = []
  const lookups = new HeldLookups(id => counted.push(id))
  lookups.hold(5, 1, 'a', Buffer.from('entry'))
  t.notOk(lookups.holds(5))
  lookups.drop(5)
  lookups.dropAll()
  t.same(counted, [])
})

t.test('a held name is answered by the reader until dropped; its answers are counted for its node when dropped', async t => {
  const { lookups, reader, counted } = setup()
  lookups.hold(5, 1, 'jobs', Buffer.from('entry of 5'))
  t.ok(lookups.holds(5))
  t.same([...reader.held], [['1/jobs', 'entry of 5']])
  reader.answered.set('1/jobs', 3)
  lookups.drop(5)
  t.notOk(lookups.holds(5))
  t.same([...reader.held], [])
  t.same(counted, [[5, 3]], 'three lookups the kernel will give back with FORGET')
  lookups.drop(5)
  t.same(counted, [[5, 3]], 'dropped twice: counted once')
})

t.test('holding a name again for the same node replaces the reply; answers from the old one are counted', async t => {
  const { lookups, reader, counted } = setup()
  lookups.hold(5, 1, 'jobs', Buffer.from('old'))
  lookups.hold(5, 1, 'jobs', Buffer.from('new'))
  t.same(counted, [], 'no answers, nothing counted')
  reader.answered.set('1/jobs', 2)
  lookups.hold(5, 1, 'jobs', Buffer.from('newer'))
  t.same(counted, [[5, 2]])
  t.same([...reader.held], [['1/jobs', 'newer']])
})

t.test('a name held for another node now: the old node\'s entry goes, its answers counted to it', async t => {
  const { lookups, reader, counted } = setup()
  lookups.hold(5, 1, 'jobs', Buffer.from('five'))
  reader.answered.set('1/jobs', 4)
  lookups.hold(6, 1, 'jobs', Buffer.from('six'))
  t.notOk(lookups.holds(5))
  t.ok(lookups.holds(6))
  t.same(counted, [[5, 4]], 'counted to the node that answered them, not the new one')
  t.same([...reader.held], [['1/jobs', 'six']])
  reader.answered.set('1/jobs', 1)
  lookups.drop(5)
  t.same(counted, [[5, 4]], 'dropping the old node leaves the new one\'s entry alone')
  t.same([...reader.held], [['1/jobs', 'six']])
})

t.test('a node held under a new name (renamed) no longer answers under the old one', async t => {
  const { lookups, reader, counted } = setup()
  lookups.hold(5, 1, 'a', Buffer.from('e'))
  reader.answered.set('1/a', 1)
  lookups.hold(5, 2, 'a', Buffer.from('e'))
  t.same([...reader.held.keys()], ['2/a'], 'another parent, same name')
  t.same(counted, [[5, 1]])
  lookups.hold(5, 2, 'b', Buffer.from('e'))
  t.same([...reader.held.keys()], ['2/b'])
  lookups.hold(7, 2, 'a', Buffer.from('seven'))
  t.ok(lookups.holds(5), 'the name it left is free for another node')
  t.same([...reader.held.keys()].sort(), ['2/a', '2/b'])
})

t.test('dropAll drops every entry and counts each node\'s answers', async t => {
  const { lookups, reader, counted } = setup()
  lookups.hold(5, 1, 'a', Buffer.from('5'))
  lookups.hold(6, 1, 'b', Buffer.from('6'))
  lookups.hold(7, 6, 'c', Buffer.from('7'))
  reader.answered.set('1/a', 2)
  reader.answered.set('6/c', 1)
  lookups.dropAll()
  t.same(reader.held.size, 0)
  t.same(counted.sort(), [[5, 2], [7, 1]], 'no count for a node whose entry answered nothing')
  t.notOk(lookups.holds(6))
})

t.test('names are passed to the reader as their UTF-8 bytes', async t => {
  const { lookups } = setup()
  const names: Buffer[] = []
  lookups.holder = { hold: (_parent, name) => { names.push(name); return 0 }, drop: () => 0 }
  lookups.hold(5, 1, 'né', Buffer.from('e'))
  t.same(names[0], Buffer.from([0x6e, 0xc3, 0xa9]))
})
