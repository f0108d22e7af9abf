import t from 'tap'
import { PageGarbage, v8Collector } from '../../../src/util/page-garbage'

t.test('collects once per threshold of bytes, however they are split', async t => {
  let collections = 0
  const garbage = new PageGarbage(1000, () => { collections++ })
  for (let i = 0; i < 9; i++) garbage.note(100)
  t.equal(collections, 0, 'not before the threshold')
  garbage.note(100)
  t.equal(collections, 1, 'at the threshold')
  garbage.note(5000)
  t.equal(collections, 2, 'one collection for a large page, not one per threshold crossed')
  garbage.note(999)
  t.equal(collections, 2)
})

t.test("V8's collector is callable and frees unreachable buffers", async t => {
  const collect = v8Collector()
  let freed = false
  const registry = new FinalizationRegistry(() => { freed = true })
  ;(() => { registry.register(Buffer.alloc(1024 * 1024), 'page') })()
  for (let i = 0; i < 20 && !freed; i++) {
    collect()
    await new Promise(resolve => setImmediate(resolve))
  }
  t.ok(freed, 'the page buffer was collected')
})
