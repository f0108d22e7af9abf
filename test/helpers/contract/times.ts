import { Test } from 'tap'
import type { DirectoryStat } from '../../../src/topics/types'
import type { EngineBackend } from './backend'

/** Times: what moves a directory's mtime and ctime, and a topic's ctime. */
export function times (t: Test, backend: EngineBackend): void {
  const { freshStore, features } = backend

  t.test('times: a directory\'s mtime and ctime move on each change of its entries; chmod moves a ctime', async t => {
    const store = freshStore()
    await store.mkdir('d')
    const timesOf = async (path: string): Promise<[number, number]> => {
      const stat = await store.stat(path) as DirectoryStat
      return [stat.mtimeMs ?? -1, stat.ctimeMs ?? -1]
    }
    const later = async (path: string, step: () => Promise<unknown>, what: string): Promise<void> => {
      const [mtime] = await timesOf(path)
      await new Promise(resolve => setTimeout(resolve, 3))
      await step()
      const [m, c] = await timesOf(path)
      t.ok(mtime > 0 && m > mtime && c >= m, what)
    }
    await later('d', () => store.create('d/t'), 'a topic created')
    await later('d', () => store.mkdir('d/e'), 'a directory made')
    await later('d', () => store.rmdir('d/e'), 'a directory removed')
    if (features.renamesTopics) {
      await store.mkdir('f')
      await later('d', () => store.rename('d/t', 'f/t'), 'a topic renamed away')
      await later('f', () => store.rename('f/t', 'd/t'), 'a topic renamed away from the other side')
      await later('d', () => store.rename('d/t', 'd/u'), 'a topic renamed within')
    }
    const [name] = (await store.list('d')).map(e => e.name)
    await later('d', () => store.remove(`d/${name!}`), 'a topic removed')
    await later('', () => store.mkdir('g'), 'the root too')

    const [, ctime] = await timesOf('g')
    await new Promise(resolve => setTimeout(resolve, 3))
    await store.changeOwnership('g', { mode: 0o700 })
    const [m2, c2] = await timesOf('g')
    t.ok(c2 > ctime && c2 > m2, 'chmod of a directory moves its ctime, not its mtime')

    const made = await store.create('t')
    await new Promise(resolve => setTimeout(resolve, 3))
    await store.changeOwnership('t', { owner: 3 })
    const changed = await store.statTopic('t')
    t.equal(changed?.mtimeMs, made.mtimeMs, 'chown of a topic leaves its mtime')
    t.ok(changed!.ctimeMs > made.ctimeMs, 'and moves its ctime')
  })
}
