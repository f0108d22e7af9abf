import { promises as fs } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import tmp from 'tmp'
import { makeCertificates } from '../helpers/certificates'
import { mountFor } from '../helpers/fixture'
import { CLI } from '../../scripts/support/mount'
import { run, sh } from '../../scripts/support/processes'
import { startRedis } from '../../scripts/support/redis-server'

// ACL users and passwords, TLS with a throwaway CA, and secrets kept out of sight.

const scratch = tmp.dirSync({ unsafeCleanup: true, prefix: 'dnpipes-secrets-' })
t.teardown(() => scratch.removeCallback())

const ACL = ['--user', 'default', 'off', '--user', 'alice', 'on', '>s3cret-pw', '~*', '&*', '+@all']

t.test('an ACL user: from the URL, from DNPIPES_REDIS_URL or a password file; a wrong password fails at once', async t => {
  const server = await startRedis({ args: ACL, auth: { username: 'alice', password: 's3cret-pw' } })
  t.teardown(() => server.stop())
  const withUrl = await mountFor(t, undefined, { args: ['--redis', `redis://alice:s3cret-pw@127.0.0.1:${server.port}`, '--debug'] })
  await sh(`echo via-url >> ${withUrl.dir}/acl`)
  const produce = "seq 1 200000 | sed 's/$/ for alice/'"
  await sh(`${produce} > ${withUrl.dir}/long`)
  const [got, want] = await Promise.all([sh(`cat ${withUrl.dir}/long | md5sum`), sh(`${produce} | md5sum`)])
  t.equal(got.stdout.toString(), want.stdout.toString(), 'a long replay logs in as the ACL user too')
  t.match(await server.client().info('commandstats'), /cmdstat_exec:calls=[1-9]/, 'its pages came through the page connection')
  const ps = (await run('ps', ['-o', 'args=', '-p', String(withUrl.daemon.pid)])).stdout.toString()
  t.match(ps, /dnpipes mount .*redis:\/\/alice:\*\*\*@127\.0\.0\.1/, 'the process list shows the URL redacted')
  t.notMatch(ps, /s3cret-pw/)
  t.notMatch(withUrl.output(), /s3cret-pw/, 'nor do messages or debug output')
  t.match(withUrl.output(), /mounted .*redis:\/\/alice:\*\*\*@127\.0\.0\.1/)

  const fromEnv = await mountFor(t, undefined, { env: { ...process.env, DNPIPES_REDIS_URL: `redis://alice:s3cret-pw@127.0.0.1:${server.port}` } })
  t.equal((await sh(`cat ${fromEnv.dir}/acl`)).stdout.toString(), 'via-url\n')

  const passwordFile = path.join(scratch.name, 'password')
  await fs.writeFile(passwordFile, 's3cret-pw\n', { mode: 0o600 })
  const fromFile = await mountFor(t, undefined, { args: ['--redis', `redis://alice@127.0.0.1:${server.port}`, '--redis-password-file', passwordFile] })
  t.equal((await sh(`cat ${fromFile.dir}/acl`)).stdout.toString(), 'via-url\n')

  const started = Date.now()
  const wrong = await run(process.execPath, [CLI, 'mount', path.join(scratch.name, 'never'), '--redis', `redis://alice:wrong-pw@127.0.0.1:${server.port}`])
  t.equal(wrong.code, 1)
  t.match(wrong.stderr, /authentication failed/)
  t.notMatch(wrong.stderr, /wrong-pw/)
  t.ok(Date.now() - started < 2000, `failed in ${Date.now() - started} ms`)
  const missingFile = await run(process.execPath, [CLI, 'pull', 'acl', '--redis', `redis://alice@127.0.0.1:${server.port}`, '--redis-password-file', '/nonexistent'])
  t.match(missingFile.stderr, /cannot read the password file \/nonexistent: ENOENT/)
})

t.test('TLS: rediss:// with --tls-ca; a clear error without it; client certificates', async t => {
  const certs = await makeCertificates(scratch.name)
  const server = await startRedis({ tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey } })
  t.teardown(() => server.stop())
  const mounted = await mountFor(t, undefined, { args: ['--redis', server.url, '--tls-ca', certs.ca] })
  await sh(`echo over-tls >> ${mounted.dir}/t`)
  t.equal(await server.client().xlen('dnpipes:{t}'), 1)
  // Long replays page through a connection of their own (ranged-pages.ts): TLS there too.
  const produce = "seq 1 200000 | sed 's/$/ over tls/'"
  await sh(`${produce} > ${mounted.dir}/long`)
  const [got, want] = await Promise.all([sh(`cat ${mounted.dir}/long | md5sum`), sh(`${produce} | md5sum`)])
  t.equal(got.stdout.toString(), want.stdout.toString(), 'a 2.5 MB replay over TLS is exact')
  t.match(await server.client().info('commandstats'), /cmdstat_exec:calls=[1-9]/, 'its pages came through the page connection')
  const untrusted = await run(process.execPath, [CLI, 'pull', 't', '--redis', server.url])
  t.equal(untrusted.code, 1)
  t.match(untrusted.stderr, /TLS: the server's certificate is not trusted .*--tls-ca/)

  const strict = await startRedis({ tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey, requireClientCert: true } })
  t.teardown(() => strict.stop())
  const withCert = await run(process.execPath, [CLI, 'push', 'c', 'hi', '--redis', strict.url, '--tls-ca', certs.ca, '--tls-cert', certs.clientCert, '--tls-key', certs.clientKey])
  t.equal(withCert.code, 0, withCert.stderr)
  const withoutCert = await run(process.execPath, [CLI, 'push', 'c', 'hi', '--redis', strict.url, '--tls-ca', certs.ca])
  t.equal(withoutCert.code, 1)
})
