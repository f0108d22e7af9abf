import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import tmp from 'tmp'
import { serveMount } from '../../scripts/support/mount'
import { run, sh } from '../../scripts/support/processes'

// The package as a user installs it: packed with a prebuilt FUSE addon, installed globally into
// a fresh prefix, and its `dnpipes mount` working with the embedded Redis. The packing happens
// in a copy of what the package ships, so that neither the build nor the addon the other tests
// use is touched while they run.

const ROOT = path.join(__dirname, '../../..')
const SHIPPED = ['package.json', 'binding.gyp', 'native', 'scripts/build-native.js', 'dist/src', 'README.md', 'docs']

t.test('npm pack ships the program and a prebuilt addon; npm install -g of it mounts, with no compiling', async t => {
  const work = tmp.dirSync({ prefix: 'dnpipes-pack-', unsafeCleanup: true })
  t.teardown(() => work.removeCallback())
  const source = path.join(work.name, 'source')
  for (const entry of SHIPPED) fs.cpSync(path.join(ROOT, entry), path.join(source, entry), { recursive: true })

  // As `npm run prebuilds` does it, with prebuildify from the repository's node_modules.
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(source, 'node_modules'))
  const built = await run(process.execPath, ['scripts/build-native.js', '--prebuild'], { cwd: source, timeoutMs: 120_000, env: { ...process.env, npm_config_nodedir: undefined, NPM_CONFIG_NODEDIR: undefined } })
  t.equal(built.code, 0, built.code === 0 ? 'prebuildify made the linux-x64 binary' : built.stderr)
  fs.unlinkSync(path.join(source, 'node_modules'))
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work.name], { cwd: source })
  t.equal(packed.code, 0, packed.code === 0 ? 'npm pack' : packed.stderr)
  const { filename, files } = (JSON.parse(packed.stdout.toString()) as Array<{ filename: string, files: Array<{ path: string }> }>)[0]!
  const paths = files.map(file => file.path)
  t.ok(paths.includes('prebuilds/linux-x64/dnpipes.node'), 'the prebuilt addon is in the tarball')
  t.ok(paths.includes('dist/src/cli.js') && paths.includes('dist/src/topics/redis/lua/claim.lua'), 'the program and its Lua scripts')
  t.same(paths.filter(p => /^(test|scripts\/bench|src)\/|\.test\.js$/.test(p)), [], 'no tests, benchmark or TypeScript sources')

  const prefix = path.join(work.name, 'global')
  const installed = await run('npm', ['install', '-g', '--no-audit', '--no-fund', '--prefix', prefix, path.join(work.name, filename)], { timeoutMs: 180_000 })
  t.equal(installed.code, 0, installed.code === 0 ? 'npm install -g of the tarball' : installed.stderr)
  const packageDir = path.join(prefix, 'lib/node_modules/dnpipes')
  t.notOk(fs.existsSync(path.join(packageDir, 'build')), 'nothing was compiled at install')
  const resolved = await run(process.execPath, ['-e', `process.stdout.write(require(${JSON.stringify(path.join(packageDir, 'node_modules/node-gyp-build'))}).resolve(${JSON.stringify(packageDir)}))`])
  t.equal(resolved.stdout.toString(), path.join(packageDir, 'prebuilds/linux-x64/dnpipes.node'), 'the addon loaded is the prebuilt one')

  const dir = path.join(work.name, 'mnt')
  const dataDir = path.join(work.name, 'state')
  const mounted = await serveMount(dir, [path.join(prefix, 'bin/dnpipes'), 'mount', dir, '--data-dir', dataDir], 'dnpipes: mounted')
  // The last mount to exit shuts the embedded Redis down.
  t.teardown(() => mounted.stop())
  t.equal((await sh(`echo installed >> ${dir}/t && cat ${dir}/t`)).stdout.toString(), 'installed\n', 'the installed dnpipes mounts, with the embedded Redis')
})
