import t from 'tap'
import { HELD_KEEP_SECONDS, ShownAttributes } from '../../../src/mount/shown-attributes'
import type { ViewPath } from '../../../src/mount/views/views'
import { MemoryEngine } from '../../../src/topics/memory/memory-engine'
import type { DirectoryStat, PathStat, TopicStat } from '../../../src/topics/types'
import { spyEngine } from '../../helpers/engine-spy'

// ShownAttributes: what getattr shows of a topic or directory, and which answers need no I/O.
// Waits are on promises; the timeout only bounds a test whose wait never ends.
t.setTimeout(30_000)

const S_IFREG = 0o100000
const S_IFDIR = 0o040000

const plain = (path: string): ViewPath => ({ view: 'plain', path })
const topic = (extra: Partial<TopicStat> = {}): TopicStat => ({ kind: 'topic', uid: 'u', size: 12, entries: 2, mtimeMs: 1000, ctimeMs: 1000, gen: '0', lastId: '1-0', retention: {}, scheduled: 0, ...extra })
const directory = (extra: Partial<DirectoryStat> = {}): DirectoryStat => ({ kind: 'directory', ...extra })

/**
 * The memory engine, holding (heldStat) what stat() answered of the paths in `holds`: the very
 * object, as the Redis engine holds it until it changes.
 */
function holdingEngine (holds: string[] = []): { engine: MemoryEngine, held: Map<string, PathStat>, holds: Set<string> } {
  const inner = new MemoryEngine()
  const held = new Map<string, PathStat>()
  const holding = new Set(holds)
  const engine = Object.assign(Object.create(inner) as MemoryEngine, {
    stat: async (path: string) => {
      const stat = await inner.stat(path)
      if (stat && holding.has(path)) held.set(path, stat)
      return stat
    },
    heldStat: (path: string) => held.get(path)
  })
  return { engine, held, holds: holding }
}

async function withTopic (engine: MemoryEngine, path: string, text = 'hello'): Promise<void> {
  const { uid } = await engine.create(path)
  await engine.append(path, uid, [{ payload: Buffer.from(text), verbatim: false }])
}

t.test('entries without stored ownership show the mount\'s --uid, --gid and --umask; else this process\'s ids and 022', async t => {
  const given = new ShownAttributes({ uid: 10, gid: 20, umask: 0o077 }, false)
  const topicShown = given.of(topic(), 'plain')
  t.same([topicShown.uid, topicShown.gid, topicShown.mode], [10, 20, S_IFREG | 0o600])
  t.equal(given.of(directory(), 'plain').mode, S_IFDIR | 0o700)
  t.same(given.owner, { uid: 10, gid: 20, umask: 0o077, readOnly: false })
  const stored = given.of(topic({ owner: 1, group: 2, mode: 0o640 }), 'plain')
  t.same([stored.uid, stored.gid, stored.mode], [1, 2, S_IFREG | 0o640], 'stored ownership wins')
  const defaults = new ShownAttributes(undefined, false)
  const shown = defaults.of(topic(), 'plain')
  t.same([shown.uid, shown.gid, shown.mode], [process.getuid!(), process.getgid!(), S_IFREG | 0o644])
  t.equal(new ShownAttributes({ uid: 10 }, false).of(topic(), 'plain').gid, process.getgid!(), 'each one defaults alone')
  t.equal(new ShownAttributes(undefined, true).of(topic({ mode: 0o666 }), 'plain').mode, S_IFREG | 0o444, 'read-only: no write bits, stored mode or not')
})

t.test('a directory without a time of its own is dated by the mount\'s start', async t => {
  const before = Date.now()
  const shown = new ShownAttributes(undefined, false)
  const after = Date.now()
  const mtime = shown.of(directory(), 'plain').mtime as number
  t.ok(mtime >= before && mtime <= after)
  t.equal(shown.of(directory({ mtimeMs: 5 }), 'plain').mtime, 5)
})

t.test('through the reading views a topic has no size and no write bits; so have their directories', async t => {
  const shown = new ShownAttributes({ umask: 0o022 }, false)
  for (const view of ['follow', 'live', 'group'] as const) {
    const attr = shown.of(topic({ mode: 0o664 }), view)
    t.same([attr.mode, attr.size, attr.blocks], [S_IFREG | 0o444, 0, 0], `${view}: a topic`)
    t.equal(shown.of(directory(), view).mode, S_IFDIR | 0o555, `${view}: a directory`)
  }
})

t.test('through .delay/ a topic is write-only with no size; its directories keep their modes', async t => {
  const shown = new ShownAttributes({ umask: 0o022 }, false)
  const attr = shown.of(topic({ mode: 0o664 }), 'delay')
  t.same([attr.mode, attr.size], [S_IFREG | 0o220, 0])
  t.equal(shown.of(directory({ mode: 0o775 }), 'delay').mode, S_IFDIR | 0o775, 'a push there may create a topic')
  t.equal(new ShownAttributes(undefined, true).of(topic(), 'delay').mode, S_IFREG, 'on a read-only mount, nothing at all')
})

t.test('what the engine holds is answered without I/O; the kernel may keep it only once someone announces its changes', async t => {
  const { engine } = holdingEngine(['t'])
  await withTopic(engine, 't')
  const spy = spyEngine(engine)
  const shown = new ShownAttributes(undefined, false)
  t.equal(shown.known(spy.engine, plain('t'), false), undefined, 'nothing held before a stat')
  await shown.fetch(spy.engine, plain('t'), false)
  spy.calls.length = 0
  const held = shown.known(spy.engine, plain('t'), false)
  t.equal(held?.size, 6)
  t.equal(held?.keepSeconds, undefined, 'keepSeconds 0: nothing is kept')
  shown.keepSeconds = HELD_KEEP_SECONDS
  t.equal(shown.known(spy.engine, plain('t'), true)?.keepSeconds, HELD_KEEP_SECONDS, 'a lookup of it too')
  const viewed = shown.known(spy.engine, { view: 'follow', path: 't' }, false)
  t.same([viewed?.size, viewed?.keepSeconds], [0, undefined], 'through a view: as the view shows it, never kept')
  t.same(spy.calls.filter(call => call !== 'heldStat' && call !== 'heldDirectory'), [], 'no I/O')
})

t.test('a directory the engine holds is answered without I/O', async t => {
  const inner = new MemoryEngine()
  const engine = Object.assign(Object.create(inner) as MemoryEngine, { heldDirectory: (path: string) => path === 'd' ? directory({ mode: 0o1777, owner: 7 }) : undefined })
  const shown = new ShownAttributes(undefined, false)
  const attr = shown.known(engine, plain('d'), false)
  t.same([attr?.mode, attr?.uid], [S_IFDIR | 0o1777, 7])
  t.equal(shown.known(engine, plain('e'), false), undefined)
})

t.test('a name the last readdir listed answers its first lookup with its kind, and only a lookup, only in the mount itself', async t => {
  const engine = new MemoryEngine()
  const shown = new ShownAttributes(undefined, false)
  shown.listed.remember('d', [{ name: 't', kind: 'topic' }, { name: 'sub', kind: 'directory' }], Date.now())
  t.equal(shown.known(engine, plain('d/t'), false), undefined, 'a getattr asks the engine')
  t.equal(shown.known(engine, { view: 'follow', path: 'd/t' }, true), undefined, 'a view\'s lookup asks the engine')
  const listedTopic = shown.known(engine, plain('d/t'), true)
  t.same([listedTopic?.mode, listedTopic?.size], [S_IFREG | 0o644, 0], 'a regular file, whose real attributes the kernel asks for before use')
  t.equal(shown.known(engine, plain('d/t'), true), undefined, 'once')
  t.equal((shown.known(engine, plain('d/sub'), true)?.mode ?? 0) & 0o170000, S_IFDIR)
  t.equal(shown.known(engine, plain('d/other'), true), undefined, 'a name not listed')
})

t.test('a held name looked up or listed with its attributes is no longer answered from the listing', async t => {
  const { engine, held } = holdingEngine(['t', 'u'])
  await withTopic(engine, 't')
  await withTopic(engine, 'u')
  const shown = new ShownAttributes(undefined, false)
  shown.keepSeconds = 1
  await shown.fetch(engine, plain('t'), false)
  await shown.fetch(engine, plain('u'), false)
  shown.listed.remember('', [{ name: 't', kind: 'topic' }, { name: 'u', kind: 'topic' }], Date.now())
  t.equal(shown.known(engine, plain('t'), true)?.size, 6, 'the held attributes, not the listing\'s')
  t.equal(shown.listedWith(engine, plain('u'))?.size, 6)
  held.clear()
  t.equal(shown.known(engine, plain('t'), true), undefined, 'once no longer held, the listing does not answer it')
  t.equal(shown.known(engine, plain('u'), true), undefined, 'nor for a name a listing handed out with its attributes')
})

t.test('listedWith: the held attributes, kept, for a listing to hand out; nothing unless held, kept, and in the mount itself', async t => {
  const { engine } = holdingEngine(['t'])
  await withTopic(engine, 't')
  await withTopic(engine, 'other')
  const shown = new ShownAttributes(undefined, false)
  await shown.fetch(engine, plain('t'), false)
  t.equal(shown.listedWith(engine, plain('t')), undefined, 'keepSeconds 0: the kernel keeps nothing, so a listing hands out nothing')
  shown.keepSeconds = 1
  t.same(shown.listedWith(engine, plain('t'))?.keepSeconds, 1)
  t.equal(shown.listedWith(engine, { view: 'live', path: 't' }), undefined)
  t.equal(shown.listedWith(engine, plain('other')), undefined, 'not held')
})

t.test('fetch: the engine\'s answer, kept only when it is what the engine holds', async t => {
  const { engine, holds } = holdingEngine(['t'])
  await withTopic(engine, 't')
  await withTopic(engine, 'u')
  await engine.mkdir('d')
  const shown = new ShownAttributes(undefined, false)
  shown.keepSeconds = 1
  t.equal(await shown.fetch(engine, plain('none'), true), undefined)
  t.equal((await shown.fetch(engine, plain('t'), false))?.keepSeconds, 1, 'held: the kernel may keep it')
  t.equal((await shown.fetch(engine, plain('u'), false))?.keepSeconds, undefined, 'not held')
  t.equal((await shown.fetch(engine, { view: 'follow', path: 't' }, false))?.keepSeconds, undefined, 'held, through a view')
  t.equal(((await shown.fetch(engine, plain('d'), false))?.mode ?? 0) & 0o170000, S_IFDIR)
  holds.clear()
  const stale = Object.assign(Object.create(engine) as MemoryEngine, { heldStat: () => topic() })
  t.equal((await shown.fetch(stale, plain('u'), false))?.keepSeconds, undefined, 'the engine holds another stat than the one answered: not kept')
})

t.test('a lookup\'s answer answers the one getattr after it, unless this mount changed something meanwhile', async t => {
  const engine = new MemoryEngine()
  await withTopic(engine, 't')
  const shown = new ShownAttributes(undefined, false, 60_000)
  await shown.fetch(engine, plain('t'), false)
  t.equal(shown.known(engine, plain('t'), false), undefined, 'a getattr\'s answer answers nothing after it')
  await shown.fetch(engine, plain('t'), true)
  t.equal(shown.known(engine, plain('t'), true), undefined, 'nor another lookup')
  t.equal(shown.known(engine, plain('t'), false)?.size, 6)
  t.equal(shown.known(engine, plain('t'), false), undefined, 'once')
  t.equal(shown.known(engine, { view: 'follow', path: 't' }, false), undefined, 'another view of it is another entry')
  await shown.fetch(engine, { view: 'follow', path: 't' }, true)
  t.equal(shown.known(engine, { view: 'follow', path: 't' }, false)?.size, 0, 'a view\'s lookup answers its getattr, as the view shows it')
  await shown.fetch(engine, plain('t'), true)
  shown.changed()
  t.equal(shown.known(engine, plain('t'), false), undefined, 'a change after the lookup')
})

t.test('a change while a lookup reads the engine: what it read answers no getattr', async t => {
  const spy = spyEngine()
  await withTopic(spy.inner as MemoryEngine, 't')
  const shown = new ShownAttributes(undefined, false, 60_000)
  const release = spy.hold('stat')
  const lookup = shown.fetch(spy.engine, plain('t'), true)
  shown.changed()
  release()
  t.equal((await lookup)?.size, 6, 'the lookup itself is answered')
  t.equal(shown.known(spy.engine, plain('t'), false), undefined)
})

t.test('a lookup\'s answer is fresh only within lookupFreshMs', async t => {
  const engine = new MemoryEngine()
  await withTopic(engine, 't')
  // A window already over when the getattr comes: no wait can be that short.
  const shown = new ShownAttributes(undefined, false, -1)
  await shown.fetch(engine, plain('t'), true)
  t.equal(shown.known(engine, plain('t'), false), undefined)
})
