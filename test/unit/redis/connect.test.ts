import fc from 'fast-check'
import Redis from 'ioredis'
import t from 'tap'
import { commandTimeoutOf, describeTarget, parseHostList } from '../../../src/redis/connect'
import { redactUrl } from '../../../src/util/redact-url'
import { DEFAULTS } from '../../../src/options'

// The parts of connect.ts that need no server; connecting is tested in test/integration.

t.test('parseHostList: HOST[:PORT] items, the default port, IPv6 in brackets', async t => {
  t.same(parseHostList('h1:26379,h2', 26379), [{ host: 'h1', port: 26379 }, { host: 'h2', port: 26379 }])
  t.same(parseHostList(' a:7000 , b:7001 ,', 6379), [{ host: 'a', port: 7000 }, { host: 'b', port: 7001 }], 'spaces and a trailing comma')
  t.same(parseHostList('[::1]:7000,[fe80::1]', 6379), [{ host: '::1', port: 7000 }, { host: 'fe80::1', port: 6379 }])
  t.same(parseHostList('10.0.0.5', 6379), [{ host: '10.0.0.5', port: 6379 }])
  t.same(parseHostList('', 6379), [])
  for (const bad of ['a:b', 'h:', '::1', 'h:1:2', ':7000']) {
    t.throws(() => parseHostList(bad, 6379), { message: `"${bad}" is not HOST or HOST:PORT` }, bad)
  }
  t.throws(() => parseHostList('ok:1,bad:x', 6379), { message: '"bad:x" is not HOST or HOST:PORT' }, 'the item that is wrong is named')
})

t.test('redactUrl hides the password and keeps the rest', async t => {
  t.equal(redactUrl('redis://user:secret@h:6379/2'), 'redis://user:***@h:6379/2')
  t.equal(redactUrl('rediss://:secret@h'), 'rediss://:***@h')
  t.equal(redactUrl('redis://h:6379'), 'redis://h:6379')
  t.equal(redactUrl('redis://user@h:6379'), 'redis://user@h:6379', 'a user alone is not a secret')
  t.equal(redactUrl('redis://u:p%40ss@[::1]:6379'), 'redis://u:***@[::1]:6379')
  t.equal(redactUrl('not a url with secret'), 'the Redis URL given (it does not parse as a URL)')
  t.notMatch(redactUrl('redis://u:secret@[bad'), /secret/, 'an unparsable URL is not shown at all')
})

t.test('no password survives redactUrl', async () => {
  const password = fc.string({ unit: fc.constantFrom('A', 'B', 'Z', '0', '9', '@', ':', '/', '%', '#', '?', ' ', 'é', '!'), minLength: 4, maxLength: 20 })
  fc.assert(fc.property(password, fc.constantFrom('redis', 'rediss'), (secret, scheme) => {
    const shown = redactUrl(`${scheme}://user:${encodeURIComponent(secret)}@host.example:6380/1`)
    return !shown.includes(secret) && !shown.includes(encodeURIComponent(secret)) && shown === `${scheme}://user:***@host.example:6380/1`
  }), { numRuns: 300 })
})

t.test('describeTarget says where, never with a password', async t => {
  t.equal(describeTarget({ kind: 'socket', path: '/run/d/redis.sock' }), 'embedded redis-server at /run/d/redis.sock')
  t.equal(describeTarget({ kind: 'cluster', seeds: [{ host: 'a', port: 7000 }, { host: 'b', port: 7001 }], url: 'redis://u:secret@x' }), 'Redis Cluster a:7000,b:7001')
  t.equal(describeTarget({ kind: 'sentinel', sentinels: [{ host: 's1', port: 26379 }], name: 'mymaster', url: 'redis://:secret@x' }),
    'master "mymaster" via Sentinel s1:26379')
  t.equal(describeTarget({ kind: 'url', url: 'redis://u:secret@h:6379' }), 'redis://u:***@h:6379')
  t.equal(describeTarget({ kind: 'url', url: 'redis://h:6379', passwordFile: '/etc/secret' }), 'redis://h:6379')
})

t.test('commandTimeoutOf: the client\'s command timeout, else the default op timeout', async t => {
  const clients = [
    new Redis({ lazyConnect: true, commandTimeout: 123 }),
    new Redis({ lazyConnect: true }),
    new Redis.Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true, redisOptions: { commandTimeout: 77 } }),
    new Redis.Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true })
  ]
  t.teardown(() => { for (const client of clients) client.disconnect() })
  t.same(clients.map(commandTimeoutOf), [123, DEFAULTS.redis.opTimeout, 77, DEFAULTS.redis.opTimeout])
})
