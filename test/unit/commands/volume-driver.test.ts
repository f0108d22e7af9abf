import path from 'node:path'
import t from 'tap'
import { targetArgs } from '../../../src/commands/volume-driver'

t.test('a volume\'s server gets the driver\'s Redis target: no URL (it goes by the environment), paths made absolute', async t => {
  t.same(targetArgs({ prefix: 'dnpipes:' }), ['--prefix', 'dnpipes:'])
  t.same(targetArgs({ prefix: 'p:', redis: 'redis://user:secret@h:6379', redisPasswordFile: 'pw', tlsCa: '/etc/ca.pem', cluster: 'a:1,b:2', dataDir: 'state' }), [
    '--redis-password-file', path.resolve('pw'), '--cluster', 'a:1,b:2', '--tls-ca', '/etc/ca.pem', '--data-dir', path.resolve('state'), '--prefix', 'p:'
  ])
})
