import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import tmp from 'tmp'
import { run } from '../../scripts/support/processes'

// The FUSE layer's tests once more, with the addon built with AddressSanitizer: the servers load
// that build (DNPIPES_FUSE_ADDON) with the sanitizer's runtime preloaded, and any report it
// writes (one file per process under log_path) fails this test.

const ROOT = path.join(__dirname, '../../..')

t.test('the FUSE layer\'s tests pass with the addon built with AddressSanitizer, which reports nothing', async t => {
  const dir = tmp.dirSync({ prefix: 'dnpipes-asan-', unsafeCleanup: true })
  t.teardown(() => dir.removeCallback())
  // The server of the user-mount test runs as nobody: it loads the addon from here and writes
  // its reports here.
  fs.chmodSync(dir.name, 0o777)
  fs.cpSync(path.join(ROOT, 'binding.gyp'), path.join(dir.name, 'binding.gyp'))
  fs.cpSync(path.join(ROOT, 'native'), path.join(dir.name, 'native'), { recursive: true })
  const prefix = path.dirname(path.dirname(process.execPath))
  const nodeGyp = path.join(execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim(), 'npm/node_modules/node-gyp/bin/node-gyp.js')
  const flags = '-fsanitize=address -fno-omit-frame-pointer'
  const build = await run(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${prefix}`], { cwd: dir.name, env: { ...process.env, CFLAGS: flags, LDFLAGS: '-fsanitize=address' } })
  t.equal(build.code, 0, build.code === 0 ? 'the addon builds with AddressSanitizer' : build.stderr)
  const runtime = (await run('gcc', ['-print-file-name=libasan.so'])).stdout.toString().trim()
  const reports = path.join(dir.name, 'asan')
  const tests = await run(process.execPath, [path.join(__dirname, 'fuse-layer.test.js')], {
    timeoutMs: 150_000,
    env: {
      ...process.env,
      DNPIPES_FUSE_ADDON: path.join(dir.name, 'build/Release/dnpipes_fuse.node'),
      DNPIPES_TEST_SERVER_PRELOAD: runtime,
      // Node itself is not built for leak checking; what is checked is every access the addon makes.
      ASAN_OPTIONS: `detect_leaks=0:log_path=${reports}`
    }
  })
  const output = tests.stdout.toString()
  t.equal(tests.code, 0, 'the tests pass')
  t.match(output, /^1\.\.11$/m, 'all eleven ran')
  t.notMatch(output, /^\s*not ok/m, output.split('\n').filter(line => /not ok/.test(line)).join('\n'))
  const written = fs.readdirSync(dir.name).filter(name => name.startsWith('asan'))
  t.same(written, [], written.map(name => fs.readFileSync(path.join(dir.name, name), 'utf8')).join('\n'))
})
