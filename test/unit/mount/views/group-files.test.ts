import t from 'tap'
import type { GroupFile } from '../../../../src/mount/views/group-file'
import { GroupFiles } from '../../../../src/mount/views/group-files'
import { MemoryEngine } from '../../../../src/topics/memory/memory-engine'
import type { GroupPolicy } from '../../../../src/topics/types'

// A mount's .group/ files (src/mount/views/group-files.ts): what the files of one group and
// topic share, and the mount's consumer, which leaves a group with the last file that read it.

t.setTimeout(30_000)

const line = (text: string) => ({ payload: Buffer.from(text), verbatim: false })
const POLICY: GroupPolicy = { visibilityMs: 60_000, maxDeliveries: 5 }
const signal = new AbortController().signal

async function setup (messages = ['one', 'two', 'three']): Promise<{ engine: MemoryEngine, uid: string, files: GroupFiles }> {
  const engine = new MemoryEngine()
  const { uid } = await engine.create('jobs')
  await engine.append('jobs', uid, messages.map(line))
  const files = new GroupFiles(engine, { policy: POLICY, consumer: 'mount@test:1' })
  t.teardown(() => files.close())
  return { engine, uid, files }
}

const group = async (engine: MemoryEngine, name: string) => (await engine.groups('jobs'))?.find(info => info.name === name)

/** The last close of `file` by the process that read its message: the message is done (GroupFile.release). */
async function closeDone (files: GroupFiles, file: GroupFile): Promise<void> {
  await file.flush(process.pid)
  await files.release(file)
}

t.test('the consumer leaves the group with the last file of it released, not before', async t => {
  // Two messages for two files: none is claimed ahead, which would stay held after the files go.
  const { engine, uid, files } = await setup(['one', 'two'])
  const first = files.open('jobs', uid, 'w')
  const second = files.open('jobs', uid, 'w')
  t.equal((await first.read(0, 4096, signal, process.pid)).toString(), 'one\n')
  t.equal((await group(engine, 'w'))?.consumers, 1, 'one consumer for the whole mount')
  await closeDone(files, first)
  t.match(await group(engine, 'w'), { consumers: 1, pending: 0 }, 'another file of the group is still open: the consumer stays, holding nothing')
  t.equal((await second.read(0, 4096, signal, process.pid)).toString(), 'two\n', 'the files share the group: each message goes to one')
  await closeDone(files, second)
  t.match(await group(engine, 'w'), { consumers: 0, pending: 0 }, 'the last one left, its messages done')
})

t.test('files of different groups share nothing: each group is left on its own', async t => {
  const { engine, uid, files } = await setup()
  const a = files.open('jobs', uid, 'a')
  const b = files.open('jobs', uid, 'b')
  t.equal((await a.read(0, 4096, signal, process.pid)).toString(), 'one\n')
  t.equal((await b.read(0, 4096, signal, process.pid)).toString(), 'one\n', 'every group gets every message')
  await closeDone(files, a)
  t.equal((await group(engine, 'a'))?.consumers, 0)
  t.equal((await group(engine, 'b'))?.consumers, 1)
  await closeDone(files, b)
})

t.test('a file opened again after the last release starts a new share', async t => {
  const { engine, uid, files } = await setup()
  await files.release(files.open('jobs', uid, 'w'))
  const again = files.open('jobs', uid, 'w')
  t.equal((await again.read(0, 4096, signal, process.pid)).toString(), 'one\n')
  t.equal((await group(engine, 'w'))?.consumers, 1)
  await closeDone(files, again)
  t.equal((await group(engine, 'w'))?.consumers, 0)
})

t.test('a file released without its reader closing it leaves its message pending, with the consumer that holds it', async t => {
  const { engine, uid, files } = await setup()
  const file = files.open('jobs', uid, 'w')
  t.equal((await file.read(0, 4096, signal, process.pid)).toString(), 'one\n')
  await files.release(file)
  t.match(await group(engine, 'w'), { consumers: 1, pending: 1 }, 'it goes to another reader after the visibility timeout')
})
