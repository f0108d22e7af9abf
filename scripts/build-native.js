#!/usr/bin/env node
// The package's install step (and setup's): makes sure the FUSE addon (native/, binding.gyp)
// loads. A prebuilt binary that fits this platform (prebuilds/, made by `npm run prebuilds`) or
// an earlier build is used as it is; otherwise node-gyp builds it, which needs a compiler and
// libfuse3-dev. Node's headers are taken from the running Node's own installation when they are
// there, so that no download is needed (Debian's nodejs puts them in /usr/include/node).
// `--prebuild` makes prebuilds/ instead, with prebuildify (a development dependency), the same way.
'use strict'
const { execFileSync, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const sources = ['binding.gyp', ...fs.readdirSync(path.join(root, 'native')).map(name => path.join('native', name))]

function loads () {
  try {
    require('node-gyp-build')(root)
    return true
  } catch {
    return false
  }
}

/**
 * A binary older than a source file is rebuilt (a development checkout that changed native/),
 * whether it is a build or a prebuilt one; npm gives every file of an installed package the same
 * time, so an installed prebuilt binary is never older than its sources.
 */
function binaryIsStale () {
  let binary
  try {
    binary = require('node-gyp-build').resolve(root)
  } catch {
    return false
  }
  const builtAt = fs.statSync(binary).mtimeMs
  return sources.some(file => fs.statSync(path.join(root, file)).mtimeMs > builtAt)
}

function nodeGyp () {
  if (process.env.npm_config_node_gyp) return process.env.npm_config_node_gyp
  const globalRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim()
  return path.join(globalRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
}

/** The running Node's own headers, when its installation has them. */
function localNodedir () {
  const prefix = path.dirname(path.dirname(process.execPath))
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined
}

if (process.argv.includes('--prebuild')) {
  const nodedir = localNodedir()
  const env = nodedir ? { ...process.env, npm_config_nodedir: nodedir } : process.env
  const prebuildify = require.resolve('prebuildify/bin.js', { paths: [root] })
  const made = spawnSync(process.execPath, [prebuildify, '--napi', '--strip'], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] })
  process.exit(made.status ?? 1)
}

if (!binaryIsStale() && loads()) process.exit(0)
const args = [nodeGyp(), 'rebuild']
const nodedir = localNodedir()
if (nodedir) args.push(`--nodedir=${nodedir}`)
const result = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
if (result.status !== 0) {
  console.error('dnpipes: building the FUSE addon failed; it needs make, a C compiler, pkg-config and libfuse3-dev (on Debian: apt-get install build-essential pkg-config libfuse3-dev)')
  process.exit(1)
}
if (!loads()) {
  console.error('dnpipes: the FUSE addon was built but does not load')
  process.exit(1)
}
