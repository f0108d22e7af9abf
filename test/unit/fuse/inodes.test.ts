import fc from 'fast-check'
import t from 'tap'
import { childPath, NodeTable, ROOT_NODE } from '../../../src/fuse/inodes'

t.test('a path keeps its node id while the kernel holds it; forgotten, it gets a new one', async t => {
  const nodes = new NodeTable()
  const id = nodes.remember('/jobs')
  t.equal(nodes.remember('/jobs'), id, 'looked up twice: the same node')
  nodes.forget(id, 1)
  t.equal(nodes.pathOf(id), '/jobs', 'one reference left')
  nodes.forget(id, 1)
  t.equal(nodes.pathOf(id), undefined)
  t.equal(nodes.idOf('/jobs'), undefined)
  t.not(nodes.remember('/jobs'), id)
})

t.test('the root is never forgotten', async t => {
  const nodes = new NodeTable()
  nodes.forget(ROOT_NODE, 100)
  t.equal(nodes.pathOf(ROOT_NODE), '/')
})

t.test('a rename moves the node and everything under it; a node it replaced keeps its last path', async t => {
  const nodes = new NodeTable()
  const dir = nodes.remember('/a')
  const inside = nodes.remember('/a/t')
  const other = nodes.remember('/ab')
  const replaced = nodes.remember('/b')
  nodes.renamed('/a', '/b')
  t.equal(nodes.pathOf(dir), '/b')
  t.equal(nodes.pathOf(inside), '/b/t')
  t.equal(nodes.pathOf(other), '/ab', 'a sibling that only starts the same stays')
  t.equal(nodes.idOf('/b'), dir)
  t.equal(nodes.pathOf(replaced), '/b', 'open files on the replaced node still reach a path')
  nodes.forget(replaced, 1)
  t.equal(nodes.idOf('/b'), dir, 'forgetting the replaced node leaves the new one in place')
})

t.test('a directory renamed over another: the nodes still held under the replaced one are unlinked', async t => {
  const nodes = new NodeTable()
  const moved = nodes.remember('/b/x')
  const stale = nodes.remember('/a/x')
  nodes.renamed('/b', '/a')
  t.equal(nodes.idOf('/a/x'), moved)
  t.equal(nodes.pathOf(stale), '/a/x', 'kept for the files still open on it')
  t.same(nodes.states().filter(node => node.linked).map(node => node.id), [moved], 'one linked node per path')
})

t.test('an unlinked node keeps its path for its open files; the name is free for a new node', async t => {
  const nodes = new NodeTable()
  const old = nodes.remember('/t')
  nodes.unlinked('/t')
  t.equal(nodes.pathOf(old), '/t')
  const fresh = nodes.remember('/t')
  t.not(fresh, old)
  nodes.forget(old, 1)
  t.equal(nodes.idOf('/t'), fresh)
})

t.test('any sequence of lookups and forgets: a node lives exactly while its count is positive', async t => {
  const paths = ['/a', '/b', '/a/x']
  fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 3 })), { maxLength: 60 }), steps => {
    const nodes = new NodeTable()
    const counts = new Map<string, number>()
    for (const [lookup, which, n] of steps) {
      const path = paths[which]!
      if (lookup) {
        nodes.remember(path)
        counts.set(path, (counts.get(path) ?? 0) + 1)
      } else {
        const id = nodes.idOf(path)
        const held = counts.get(path) ?? 0
        if (id === undefined || held === 0) continue
        const given = Math.min(n, held)
        nodes.forget(id, given)
        counts.set(path, held - given)
      }
    }
    for (const path of paths) {
      if ((nodes.idOf(path) !== undefined) !== ((counts.get(path) ?? 0) > 0)) return false
    }
    return nodes.size === 1 + [...counts.values()].filter(count => count > 0).length
  }))
  t.equal(childPath('/', 'a'), '/a')
  t.equal(childPath('/a', 'b'), '/a/b')
})
