import t from 'tap'
import { longListing, modeString, parseIdFile, timeString } from '../../../src/commands/long-listing'

// dnpipes ls -l prints what GNU ls -l prints for the same attributes (the integration test in
// cli-topics compares the two on a real mount).

t.test('mode letters, with setuid, setgid and sticky bits as ls shows them', async t => {
  t.equal(modeString(0o644, false), '-rw-r--r--')
  t.equal(modeString(0o755, true), 'drwxr-xr-x')
  t.equal(modeString(0o1777, true), 'drwxrwxrwt')
  t.equal(modeString(0o1776, true), 'drwxrwxrwT')
  t.equal(modeString(0o4755, false), '-rwsr-xr-x')
  t.equal(modeString(0o2645, false), '-rw-r-Sr-x')
})

t.test('recent times show the hour, old and future ones the year', async t => {
  const now = new Date(2026, 11, 2, 11, 51).getTime()
  t.equal(timeString(new Date(2026, 11, 2, 9, 5).getTime(), now), 'Dec  2 09:05')
  t.equal(timeString(new Date(2026, 0, 1, 10, 0).getTime(), now), 'Jan  1  2026')
  t.equal(timeString(new Date(2027, 0, 15, 10, 0).getTime(), now), 'Jan 15  2027')
})

t.test('columns pad as ls pads them; total counts 1 KiB blocks; unknown ids show as numbers', async t => {
  const now = new Date(2026, 11, 2, 12, 0).getTime()
  const at = new Date(2026, 11, 2, 11, 30).getTime()
  const names = { user: (uid: number) => uid === 0 ? 'root' : String(uid), group: (gid: number) => gid === 0 ? 'root' : String(gid) }
  const text = longListing([
    { name: 'd', mode: 0o40755, nlink: 2, uid: 0, gid: 0, size: 4096, blocks: 8, mtimeMs: at, directory: true },
    { name: 'orders', mode: 0o100644, nlink: 1, uid: 1000, gid: 0, size: 5, blocks: 1, mtimeMs: at, directory: false }
  ], names, now)
  t.equal(text, 'total 5\ndrwxr-xr-x 2 root root 4096 Dec  2 11:30 d\n-rw-r--r-- 1 1000 root    5 Dec  2 11:30 orders\n')
  t.equal(longListing([], names, now), 'total 0\n')
})

t.test('passwd and group files: first name for an id wins; comments and junk are skipped', async t => {
  const names = parseIdFile('# comment\nroot:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/:/bin/false\ntoor:x:0:0::/:/bin/sh\njunk\n')
  t.same([...names], [[0, 'root'], [65534, 'nobody']])
})
