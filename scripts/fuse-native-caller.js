#!/usr/bin/env node
// fuse-native gives JavaScript no request context, and dnpipes needs the caller's pid (to tell
// at FLUSH whether a work-queue reader closed its file or was killed) and, for ownership, its
// uid, gid and umask. This adds one native function, fuse_native_caller(handler), that returns
// [uid, gid, pid, umask] of the request being served, and rebuilds the addon from source.
// Idempotent: it does nothing when the addon was already built from the patched source.
'use strict'
const fs = require('fs')
const path = require('path')
const { execFileSync } = require('child_process')

const MARKER = '/* dnpipes: caller context */'
const dir = path.dirname(require.resolve('fuse-native/package.json'))
const source = path.join(dir, 'fuse-native.c')
const built = path.join(dir, 'build', 'Release', 'fuse.node')

// Only this script builds the addon (the package ships prebuilds elsewhere): a build newer than
// the patched source is done. Checked without starting Node, since setup runs on every command.
function builtFromPatchedSource () {
  if (!fs.existsSync(built) || !fs.readFileSync(source, 'utf8').includes(MARKER)) return false
  return fs.statSync(built).mtimeMs >= fs.statSync(source).mtimeMs
}

function hasCaller () {
  if (!fs.existsSync(built)) return false
  const probe = `process.stdout.write(typeof require(${JSON.stringify(built)}).fuse_native_caller)`
  return execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' }) === 'function'
}

// Each edit names the text it goes after; a missing anchor means another fuse-native version,
// and the script refuses rather than build something half patched.
const EDITS = [
  {
    after: '  // Internal bookkeeping\n',
    text: `  ${MARKER}\n  uint32_t caller_uid;\n  uint32_t caller_gid;\n  uint32_t caller_pid;\n  uint32_t caller_umask;\n\n`
  },
  {
    after: '  l->op_fn = fuse_native_dispatch_##name;\\\n',
    text: '  struct fuse_context *caller = fuse_get_context();\\\n' +
      '  l->caller_uid = caller->uid;\\\n  l->caller_gid = caller->gid;\\\n' +
      '  l->caller_pid = caller->pid;\\\n  l->caller_umask = caller->umask;\\\n'
  },
  {
    after: 'static void fuse_native_async_init (uv_async_t* handle) {\n',
    before: true,
    text: 'NAPI_METHOD(fuse_native_caller) {\n' +
      '  NAPI_ARGV(1)\n' +
      '  NAPI_ARGV_BUFFER_CAST(fuse_thread_locals_t *, l, 0);\n' +
      '  uint32_t fields[4] = { l->caller_uid, l->caller_gid, l->caller_pid, l->caller_umask };\n' +
      '  napi_value result;\n' +
      '  napi_create_array_with_length(env, 4, &result);\n' +
      '  for (uint32_t i = 0; i < 4; i++) {\n' +
      '    napi_value field;\n' +
      '    napi_create_uint32(env, fields[i], &field);\n' +
      '    napi_set_element(env, result, i, field);\n' +
      '  }\n' +
      '  return result;\n' +
      '}\n\n'
  },
  {
    after: '  NAPI_EXPORT_FUNCTION(fuse_native_unmount)\n',
    text: '  NAPI_EXPORT_FUNCTION(fuse_native_caller)\n'
  }
]

function patch () {
  let text = fs.readFileSync(source, 'utf8')
  if (text.includes(MARKER)) return
  for (const edit of EDITS) {
    const at = text.indexOf(edit.after)
    if (at < 0) throw new Error(`fuse-native.c has no ${JSON.stringify(edit.after.trim())}: not the 2.2.6 this patch is for`)
    const cut = edit.before ? at : at + edit.after.length
    text = text.slice(0, cut) + edit.text + text.slice(cut)
  }
  fs.writeFileSync(source, text)
}

function nodeGyp () {
  // npm ships node-gyp; npm's own configuration points it at Node's installed headers.
  const npmRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim()
  const candidates = [
    path.join(npmRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
  ]
  const found = candidates.find((file) => fs.existsSync(file))
  if (!found) throw new Error('node-gyp not found (looked in npm\'s own modules)')
  return found
}

if (!builtFromPatchedSource()) {
  patch()
  const args = [nodeGyp(), 'rebuild']
  // Node's own headers, where its installation has them (Debian's /usr, the node image's
  // /usr/local): node-gyp would otherwise download them, and there may be no network.
  const configured = execFileSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' }).trim()
  const beside = path.resolve(path.dirname(process.execPath), '..')
  if (configured && configured !== 'undefined' && configured !== 'null') args.push(`--nodedir=${configured}`)
  else if (fs.existsSync(path.join(beside, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${beside}`)
  execFileSync(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] })
  if (!hasCaller()) throw new Error(`rebuilt ${built} but it has no fuse_native_caller`)
  process.stderr.write('dnpipes setup: rebuilt fuse-native with the caller context\n')
}
