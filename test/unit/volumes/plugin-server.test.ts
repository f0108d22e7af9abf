import { promises as fs } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import tmp from 'tmp'
import { parseBody, servePlugin } from '../../../src/volumes/plugin-server'
import { VolumeDriver } from '../../../src/volumes/volume-driver'
import { VolumeMounts } from '../../../src/volumes/volume-mounts'
import { VolumeState } from '../../../src/volumes/volume-state'
import { run } from '../../../scripts/support/processes'
import { pluginCall } from '../../helpers/volume-plugin'

async function driverIn (dir: string): Promise<VolumeDriver> {
  const state = await VolumeState.open(path.join(dir, 'state'))
  return new VolumeDriver(state, new VolumeMounts(path.join(dir, 'state')), () => () => { throw new Error('no mount in this test') })
}

t.test('the socket is its owner\'s alone, or a named group\'s too', async t => {
  const dir = tmp.dirSync({ unsafeCleanup: true }).name
  const driver = await driverIn(dir)
  const alone = await servePlugin(path.join(dir, 'run', 'a.sock'), driver)
  t.teardown(() => alone.close())
  t.equal((await fs.stat(alone.socketPath)).mode & 0o777, 0o600)
  t.equal((await fs.stat(path.dirname(alone.socketPath))).mode & 0o777, 0o755, 'its directory made writable by its owner only')
  t.same((await pluginCall(alone.socketPath, 'Plugin.Activate')).body, { Implements: ['VolumeDriver'] })

  const shared = await servePlugin(path.join(dir, 'run', 'b.sock'), driver, { gid: 4242 })
  t.teardown(() => shared.close())
  const stat = await fs.stat(shared.socketPath)
  t.equal(stat.mode & 0o777, 0o660)
  t.equal(stat.gid, 4242)

  await alone.close()
  await t.rejects(fs.stat(alone.socketPath), { code: 'ENOENT' }, 'closed: the socket is gone')
})

t.test('a socket is not served where others could replace it, over a live driver, or over another file', async t => {
  const dir = tmp.dirSync({ unsafeCleanup: true }).name
  const driver = await driverIn(dir)
  const open = path.join(dir, 'open')
  await fs.mkdir(open)
  await fs.chmod(open, 0o777)
  await t.rejects(servePlugin(path.join(open, 'x.sock'), driver), /may be written by others than its owner .*mode 777/)

  const first = await servePlugin(path.join(dir, 'x.sock'), driver)
  t.teardown(() => first.close())
  await t.rejects(servePlugin(first.socketPath, driver), /is served by another process/)
  t.same((await pluginCall(first.socketPath, 'VolumeDriver.Capabilities')).body, { Capabilities: { Scope: 'global' } }, 'the first one still serves')

  const file = path.join(dir, 'notes.txt')
  await fs.writeFile(file, 'mine')
  await t.rejects(servePlugin(file, driver), /exists and is not a socket/)
  t.equal(await fs.readFile(file, 'utf8'), 'mine', 'and is left as it was')
})

t.test('a socket left by a driver that died is replaced', async t => {
  const dir = tmp.dirSync({ unsafeCleanup: true }).name
  const socketPath = path.join(dir, 'stale.sock')
  // A process that bound the socket and died without removing it, as a killed driver does.
  const died = await run('python3', ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', socketPath])
  t.equal(died.code, 0, died.stderr)
  t.ok((await fs.lstat(socketPath)).isSocket(), 'a socket file nobody serves')
  const served = await servePlugin(socketPath, await driverIn(dir))
  t.teardown(() => served.close())
  t.equal((await pluginCall(socketPath, 'Plugin.Activate')).status, 200)
})

t.test('request bodies: an object, or nothing', async t => {
  t.same(parseBody(''), {})
  t.same(parseBody(' \n'), {})
  t.same(parseBody('{"Name":"v","Opts":{"path":"a"}}'), { Name: 'v', Opts: { path: 'a' } })
  t.throws(() => parseBody('{"Name":'), /malformed JSON/)
  for (const notObject of ['[]', 'null', '"v"', '7']) t.throws(() => parseBody(notObject), /must be a JSON object/, notObject)
})
