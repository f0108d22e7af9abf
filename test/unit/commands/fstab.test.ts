import t from 'tap'
import { parseFstabArgs } from '../../../src/commands/fstab'

t.test('mount.fuse arguments become dnpipes mount options', async t => {
  t.same(parseFstabArgs(['redis://h:6379', '/mnt/d', '-o', 'rw,nosuid,nodev,prefix=a:,framing=write,allow_other,ro,_netdev']), {
    source: 'redis://h:6379',
    mountpoint: '/mnt/d',
    args: ['--redis', 'redis://h:6379', '--prefix', 'a:', '--framing', 'write', '--allow-other', '--read-only']
  })
  t.same(parseFstabArgs(['dnpipes', '/mnt/d', '-odata_dir=/var/lib/dnpipes,op_timeout=2000,metrics=9464'])?.args,
    ['--data-dir', '/var/lib/dnpipes', '--op-timeout', '2000', '--metrics', '9464'], 'the embedded source')
  t.same(parseFstabArgs(['rediss://u:p@h:6380', '/m'])?.args, ['--redis', 'rediss://u:p@h:6380'])
})

t.test('normal commands are not taken for mount.fuse calls', async t => {
  t.equal(parseFstabArgs(['mount', '/mnt/d']), undefined)
  t.equal(parseFstabArgs(['push', 'jobs', 'x']), undefined)
  t.equal(parseFstabArgs([]), undefined)
})

t.test('unknown options are refused', async t => {
  t.throws(() => parseFstabArgs(['dnpipes', '/m', '-o', 'bogus=1']), /unknown mount option "bogus=1"/)
  t.throws(() => parseFstabArgs(['dnpipes', '/m', 'extra']), /unexpected argument/)
})
