import { promises as fs } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import tmp from 'tmp'
import { VolumeRecord, VolumeState } from '../../../src/volumes/volume-state'

const record = (name: string, users: string[] = []): VolumeRecord => ({ name, path: `ns/${name}`, mountArgs: ['--uid', '1000'], createdAt: '2026-12-07T00:00:00.000Z', users })

t.test('volumes and their users outlive the process that wrote them', async t => {
  const dir = path.join(tmp.dirSync({ unsafeCleanup: true }).name, 'state')
  const state = await VolumeState.open(dir)
  t.same(state.all(), [], 'a new state directory has no volumes')
  t.equal((await fs.stat(dir)).mode & 0o777, 0o700, 'made for its owner alone')
  await state.put(record('b', ['c1']))
  await state.put(record('a'))
  await state.put(record('b', ['c1', 'c2']))
  const again = await VolumeState.open(dir)
  t.same(again.all().map(r => r.name), ['a', 'b'], 'listed by name')
  t.same(again.get('b'), record('b', ['c1', 'c2']), 'the last write of each is kept')
  t.equal((await fs.stat(path.join(dir, 'volumes.json'))).mode & 0o777, 0o600)
  await again.delete('a')
  t.same((await VolumeState.open(dir)).all().map(r => r.name), ['b'])
  t.same((await fs.readdir(dir)).sort(), ['volumes.json'], 'no temporary file left')
})

t.test('a state file that is not one is refused, not overwritten', async t => {
  const dir = tmp.dirSync({ unsafeCleanup: true }).name
  await fs.writeFile(path.join(dir, 'volumes.json'), '{"version": 2, "volumes": {}}')
  await t.rejects(VolumeState.open(dir), /not a state file of this version/)
  await fs.writeFile(path.join(dir, 'volumes.json'), '{"volumes": ')
  await t.rejects(VolumeState.open(dir), SyntaxError)
  t.equal(await fs.readFile(path.join(dir, 'volumes.json'), 'utf8'), '{"volumes": ')
})
