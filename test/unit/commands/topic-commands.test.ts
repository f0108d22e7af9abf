import t from 'tap'
import { pullCommand, pushCommand, requireTopic, resetCommand, statCommand, topicPath } from '../../../src/commands/topic-commands'
import { withStore } from '../../../src/commands/session'
import { TopicError } from '../../../src/topics/errors'
import { freePort, waitFor } from '../../../scripts/support/redis-server'
import { CapturedOutput, stdoutOf } from '../../helpers/captured-output'
import { redisPerFile } from '../../helpers/fixture'

// push, pull, reset and stat against a real redis-server: what they store and print, and how they refuse.

const fixture = redisPerFile()

/** Options for a store of its own per test: a prefix of its own on the file's server. */
const on = (prefix: string) => ({ redis: fixture.server.url, prefix })

/** The payloads of the stream of `path` under `prefix`, straight from Redis. */
async function payloads (prefix: string, path: string): Promise<string[]> {
  const entries = await fixture.admin.xrange(`${prefix}{${path}}`, '-', '+')
  return entries.map(([, fields]) => fields[fields.indexOf('data') + 1]!)
}

/** Whether `promise` settles within `ms`: a bound for a failing test, never a measure. */
async function settlesWithin (promise: Promise<unknown> | undefined, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const bound = new Promise<boolean>(resolve => { timer = setTimeout(() => resolve(false), ms) })
  const settled = Promise.resolve(promise).then(() => true, () => true)
  return await Promise.race([settled, bound]).finally(() => clearTimeout(timer))
}

/** Connections blocked in XREAD: followers waiting for new entries. */
async function blockedReads (): Promise<number> {
  return String(await fixture.admin.client('LIST')).split('\n').filter(line => / flags=b /.test(line) && / cmd=xread /.test(line)).length
}

t.test('topicPath: the path under the mount without slashes at its ends; the root is no topic', async t => {
  t.equal(topicPath('/team/a/jobs/'), 'team/a/jobs')
  t.equal(topicPath('jobs'), 'jobs')
  for (const root of ['', '/', '//']) {
    t.throws(() => topicPath(root), new TopicError('EINVAL', 'a topic name is needed'), JSON.stringify(root))
  }
})

t.test('push of words: one message, the words joined by spaces, in a topic made with its directories', async t => {
  const options = { ...on('push:'), framing: 'line' as const }
  await pushCommand('/team/a/jobs', ['build', '42'], options)
  await pushCommand('team/a/jobs', ['two\nlines'], options)
  t.same(await payloads('push:', 'team/a/jobs'), ['build 42', 'two\nlines'], 'one entry per push, newlines kept: words are not framed')
  await withStore(on('push:'), async store => {
    t.equal((await store.stat('team'))?.kind, 'directory')
    t.equal((await store.stat('team/a'))?.kind, 'directory')
  })
  await t.rejects(pushCommand('team', ['x'], options), { code: 'EISDIR', message: 'team is a directory' })
  await t.rejects(pushCommand('team/a/jobs/below', ['x'], options), { code: 'ENOTDIR', message: 'team/a/jobs is a topic' })
  await t.rejects(pushCommand('/', ['x'], options), { code: 'EINVAL' })
  t.same(await payloads('push:', 'team/a/jobs'), ['build 42', 'two\nlines'], 'a refused push adds nothing')
})

t.test('push with a delay: scheduled, invisible to pull until due', async t => {
  const options = { ...on('delay:'), framing: 'line' as const }
  await pushCommand('later', ['now'], options)
  await pushCommand('later', ['in a minute'], { ...options, delay: 60_000 })
  t.equal((await stdoutOf(() => pullCommand('later', { ...on('delay:'), follow: false, live: false }))).toString(), 'now\n')
  const stat = JSON.parse((await stdoutOf(() => statCommand('later', { ...on('delay:'), json: true }))).toString())
  t.match(stat, { entries: 1, scheduled: 1 })
})

t.test('pull replays every message as the mount renders it, page after page, then returns', async t => {
  const options = { ...on('pull:'), framing: 'line' as const }
  // Three messages of 300 KB: more than one 512 KiB page of the store.
  const big = ['a', 'b', 'c'].map(letter => letter.repeat(300_000))
  for (const message of big) await pushCommand('big', [message], options)
  const out = await stdoutOf(() => pullCommand('big', { ...on('pull:'), follow: false, live: false }))
  t.equal(out.length, 3 * 300_001)
  t.ok(out.equals(Buffer.from(big.map(message => message + '\n').join(''))), 'every byte, in order, each message ended by a newline')
  await pushCommand('empty-soon', ['x'], options)
  await resetCommand('empty-soon', on('pull:'))
  t.equal((await stdoutOf(() => pullCommand('empty-soon', { ...on('pull:'), follow: false, live: false }))).length, 0, 'an empty topic: nothing, and pull returns')
})

t.test('pull --follow replays then delivers what comes; --live only what comes; both return when the topic goes', async t => {
  const options = { ...on('follow:'), framing: 'line' as const }
  await pushCommand('events', ['old'], options)
  for (const [flag, expected] of [['follow', 'old\nnew\n'], ['live', 'new\n']] as const) {
    const out = new CapturedOutput().start()
    let pulled: Promise<void> | undefined
    let returned = false
    try {
      pulled = pullCommand('events', { ...on('follow:'), follow: flag === 'follow', live: flag === 'live' })
      if (flag === 'follow') await waitFor(async () => out.bytes().toString() === 'old\n', 5000, 'the replay')
      // A --live pull delivers what comes after it looked at the topic: wait for its follow connection to block.
      await waitFor(async () => await blockedReads() === 1, 5000, 'the pull to wait for new entries')
      await pushCommand('events', ['new'], options)
      await waitFor(async () => out.bytes().toString() === expected, 5000, 'the delivery')
    } finally {
      // Removing the topic is what ends the pull: done however the test went, so that none is left waiting.
      await withStore(on('follow:'), store => store.remove('events')).catch(() => undefined)
      returned = await settlesWithin(pulled, 10_000)
      out.stop()
    }
    t.ok(returned, `--${flag}: returned once the topic was removed`)
    t.equal(out.bytes().toString(), expected, `--${flag}: what it delivered`)
    await waitFor(async () => await blockedReads() === 0, 5000, 'the follow connection to go')
    await pushCommand('events', ['old'], options)
  }
})

t.test('pull, reset and stat refuse a missing topic and a directory, and change nothing', async t => {
  const options = on('refuse:')
  await pushCommand('dir/topic', ['kept'], { ...options, framing: 'line' })
  const commands: Array<[string, (path: string) => Promise<unknown>]> = [
    ['pull', path => pullCommand(path, { ...options, follow: false, live: false })],
    ['pull --follow', path => pullCommand(path, { ...options, follow: true, live: false })],
    ['reset', path => resetCommand(path, options)],
    ['stat', path => statCommand(path, { ...options, json: false })]
  ]
  for (const [name, command] of commands) {
    await t.rejects(command('nope'), new TopicError('ENOENT', 'no topic nope'), `${name} of a missing topic`)
    await t.rejects(command('dir'), new TopicError('EISDIR', 'dir is a directory'), `${name} of a directory`)
    await t.rejects(command(''), new TopicError('EINVAL', 'a topic name is needed'), `${name} of the root`)
  }
  await withStore(options, async store => {
    await t.rejects(requireTopic(store, 'dir/nope'), { code: 'ENOENT' })
    t.match(await requireTopic(store, 'dir/topic'), { kind: 'topic', entries: 1 })
  })
  t.same(await payloads('refuse:', 'dir/topic'), ['kept'])
})

t.test('reset deletes every message and keeps the topic', async t => {
  const options = on('reset:')
  await pushCommand('jobs', ['a'], { ...options, framing: 'line' })
  await pushCommand('jobs', ['b'], { ...options, framing: 'line' })
  await resetCommand('/jobs', options)
  t.same(await payloads('reset:', 'jobs'), [])
  await withStore(options, async store => t.match(await store.stat('jobs'), { kind: 'topic', entries: 0, size: 0 }))
  await pushCommand('jobs', ['c'], { ...options, framing: 'line' })
  t.equal((await stdoutOf(() => pullCommand('jobs', { ...options, follow: false, live: false }))).toString(), 'c\n', 'and takes messages again')
})

t.test('stat: the fields in aligned columns and the consumer groups as a table; --json the same as one object', async t => {
  const options = on('stat:')
  await pushCommand('jobs', ['first'], { ...options, framing: 'line' })
  await pushCommand('jobs', ['second'], { ...options, framing: 'line' })
  await withStore(options, store => store.retain('jobs', { messages: 100 }))
  const key = 'stat:{jobs}'
  const ids = (await fixture.admin.xrange(key, '-', '+')).map(([id]) => id)
  const [firstId, lastId] = [ids[0]!, ids[1]!]
  await fixture.admin.xgroup('CREATE', key, 'builders', '0')
  await fixture.admin.xreadgroup('GROUP', 'builders', 'c1', 'COUNT', 1, 'STREAMS', key, '>')

  const text = (await stdoutOf(() => statCommand('jobs', { ...options, json: false }))).toString().split('\n')
  t.same(text.slice(0, 3), ['topic         jobs', `key           ${key}`, 'entries       2'], 'names padded to the longest (delaySeconds)')
  t.equal(text[3], 'bytes         13')
  t.equal(text[4], `firstId       ${firstId}`)
  t.equal(text[5], `lastId        ${lastId}`)
  t.match(text[6], /^mtime {9}\d{4}-\d\d-\d\dT[\d:.]+Z$/)
  t.same(text.slice(7, 11), ['retain        messages=100', 'scheduled     0', 'delaySeconds  -', ''], 'unset fields shown as -')
  t.same(text.slice(11), [
    'group     consumers  pending  lag  last-delivered',
    `builders  1          1        1    ${firstId}`,
    ''
  ], 'a blank line, then the groups under a header')

  const json = JSON.parse((await stdoutOf(() => statCommand('jobs', { ...options, json: true }))).toString())
  t.same(Object.keys(json).sort(), ['bytes', 'delaySeconds', 'entries', 'firstId', 'groups', 'key', 'lastId', 'mtime', 'retention', 'scheduled', 'topic'])
  t.match(json, { topic: 'jobs', key, entries: 2, bytes: 13, firstId, lastId, retention: { messages: 100 }, scheduled: 0, delaySeconds: null })
  t.match(json.groups, [{ name: 'builders', consumers: 1, pending: 1, lag: 1, lastDeliveredId: firstId }])

  await withStore(options, store => store.create('blank'))
  const empty = (await stdoutOf(() => statCommand('blank', { ...options, json: false }))).toString()
  t.match(empty, /^firstId {7}-$/m, 'an empty topic has no first id')
  t.match(empty, /^lastId {8}-$/m)
  t.notMatch(empty, /group/, 'no groups, no table')
  t.match(JSON.parse((await stdoutOf(() => statCommand('blank', { ...options, json: true }))).toString()), { firstId: null, lastId: null, groups: [] })
})

t.test('Redis unreachable: each command fails saying which Redis it could not use', async t => {
  const url = `redis://127.0.0.1:${await freePort()}`
  const options = { redis: url, prefix: 'down:' }
  const failure = new RegExp(`^cannot use Redis at redis://127\\.0\\.0\\.1:\\d+: .*ECONNREFUSED`)
  await t.rejects(pushCommand('jobs', ['x'], { ...options, framing: 'line' }), { message: failure })
  await t.rejects(pullCommand('jobs', { ...options, follow: false, live: false }), { message: failure })
  await t.rejects(resetCommand('jobs', options), { message: failure })
  await t.rejects(statCommand('jobs', { ...options, json: true }), { message: failure })
})
