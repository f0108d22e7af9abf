import t from 'tap'
import { validateVolumeName, VOLUME_OPTION_NAMES, volumeSpec } from '../../../src/volumes/volume-options'

t.test('a volume shows its name\'s namespace unless a path is given, and takes the mount\'s per-volume options', async t => {
  t.same(volumeSpec('jobs', {}), { path: 'jobs', mountArgs: [] })
  t.same(volumeSpec('jobs', undefined), { path: 'jobs', mountArgs: [] }, 'Opts may be left out')
  t.same(volumeSpec('jobs', { path: '/team/a/' }), { path: 'team/a', mountArgs: [] }, 'slashes around the path do not matter')
  t.same(volumeSpec('v', {
    uid: '1000', gid: '1000', umask: '002', 'read-only': 'true', framing: 'write', otrunc: 'reset',
    'visibility-timeout': '2.5', 'max-deliveries': '3', 'retain-messages': '100', 'retain-bytes': '10M', 'retain-seconds': '60'
  }).mountArgs, [
    '--uid', '1000', '--gid', '1000', '--umask', '002', '--read-only', '--framing', 'write', '--otrunc', 'reset',
    '--visibility-timeout', '2.5', '--max-deliveries', '3', '--retain-messages', '100', '--retain-bytes', '10M', '--retain-seconds', '60'
  ], 'each as its mount flag, checked as the mount checks it')
  t.same(volumeSpec('v', { 'read-only': 'false' }).mountArgs, [], 'read-only=false is no flag')
  t.same(volumeSpec('v', { 'read-only': '' }).mountArgs, ['--read-only'], '-o read-only alone means true')
  t.same(VOLUME_OPTION_NAMES[0], 'path')
})

t.test('options a volume cannot have are refused with what is wrong', async t => {
  const refused = (opts: unknown, message: RegExp, what: string): void => { t.throws(() => volumeSpec('v', opts), message, what) }
  refused({ redis: 'redis://elsewhere' }, /unknown option "redis"; a dnpipes volume takes path, uid, gid/, 'the Redis target is the driver\'s')
  refused({ prefix: 'x:' }, /unknown option "prefix"/, 'so are the keys')
  refused({ uid: 1000 }, /option uid: expected a string, got 1000/, 'values are strings')
  refused({ 'read-only': 'yes' }, /option read-only: expected true or false/, 'a flag is true or false')
  refused({ framing: 'lines' }, /option framing: expected one of line, write, got "lines"/, 'a choice')
  refused({ uid: '-1' }, /option uid: expected a whole number, got "-1"/, 'a number')
  refused({ umask: '999' }, /option umask: expected an octal mask/, 'a mask')
  refused({ 'retain-bytes': 'lots' }, /option retain-bytes: /, 'a size')
  refused({ path: '../etc' }, /option path: .*cannot be a root/, 'a path that climbs out of the store')
  refused({ path: 'a/../../b' }, /option path: /, 'also in the middle')
  refused({ path: '.follow' }, /option path: .*reserved/, 'a view is no namespace')
  refused(['path'], /Opts must be an object/, 'an array')
  refused('path=x', /Opts must be an object/, 'a string')
})

t.test('volume names are Docker\'s, and name no path', async t => {
  for (const good of ['a', 'jobs', 'team-a.v2_1', 'A1']) t.equal(validateVolumeName(good), good)
  for (const bad of ['', '-a', '.', '..', 'a/b', '../x', 'a b', 'x'.repeat(256), 7, undefined, null]) {
    t.throws(() => validateVolumeName(bad), /invalid volume name/, JSON.stringify(bad))
  }
})
