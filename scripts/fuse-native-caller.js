#!/usr/bin/env node
// fuse-native gives JavaScript no request context, and dnpipes needs the caller's pid (to tell
// at FLUSH whether a work-queue reader closed its file or was killed), for ownership its uid,
// gid and umask, and the kernel's opcode: libfuse 2 calls the same getattr for a LOOKUP and a
// GETATTR, and a lookup of a name just listed needs no Redis round trip. This adds one native
// function, fuse_native_caller(handler), that returns [uid, gid, pid, umask, opcode] of the
// request being served, and rebuilds the addon from source. The opcode is read where the
// request is received: a channel of our own on the kernel channel's descriptor, whose receive
// is the kernel channel's (read(2) and the same errors) plus a look at the request's header.
// And fuse_native_own_xattrs(prefix): getxattr of any other name is answered ENODATA in the
// addon, without waking JavaScript (ls -l asks for two such names of every file).
// Idempotent: it does nothing when the addon was already built from the patched source.
'use strict'
const fs = require('fs')
const path = require('path')
const { execFileSync } = require('child_process')

const MARKER = '/* dnpipes: caller context, opcode, own xattrs */'
/** The first version of the patch (caller context only), taken out again before patching. */
const MARKER_V1 = '/* dnpipes: caller context */'
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
  const probe = `const b = require(${JSON.stringify(built)}); process.stdout.write(typeof b.fuse_native_caller + typeof b.fuse_native_own_xattrs)`
  return execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' }) === 'functionfunction'
}

// Each edit names the text it goes after; a missing anchor means another fuse-native version,
// and the script refuses rather than build something half patched.
function callerFunction (count, fields) {
  return 'NAPI_METHOD(fuse_native_caller) {\n' +
    '  NAPI_ARGV(1)\n' +
    '  NAPI_ARGV_BUFFER_CAST(fuse_thread_locals_t *, l, 0);\n' +
    `  uint32_t fields[${count}] = { ${fields} };\n` +
    '  napi_value result;\n' +
    `  napi_create_array_with_length(env, ${count}, &result);\n` +
    `  for (uint32_t i = 0; i < ${count}; i++) {\n` +
    '    napi_value field;\n' +
    '    napi_create_uint32(env, fields[i], &field);\n' +
    '    napi_set_element(env, result, i, field);\n' +
    '  }\n' +
    '  return result;\n' +
    '}\n\n'
}

// The kernel channel's receive and send (libfuse 2.9's fuse_kern_chan.c, which is not public),
// on the same descriptor; receive also keeps the request's opcode for the thread that will
// serve it (fuse_loop_mt receives and processes each request on one thread).
const CHANNEL = `
#include <errno.h>
#include <sys/uio.h>

static __thread uint32_t dnpipes_opcode;

/* Only extended attributes under this prefix reach JavaScript; '' lets every one through. */
static char dnpipes_xattr_prefix[64] = "";

static int dnpipes_chan_receive (struct fuse_chan **chp, char *buf, size_t size) {
  struct fuse_chan *ch = *chp;
  struct fuse_session *se = fuse_chan_session(ch);
  for (;;) {
    ssize_t res = read(fuse_chan_fd(ch), buf, size);
    int err = errno;
    if (fuse_session_exited(se)) return 0;
    if (res == -1) {
      if (err == ENOENT) continue; /* the request was interrupted: read the next one */
      if (err == ENODEV) { /* unmounted */
        fuse_session_exit(se);
        return 0;
      }
      if (err != EINTR && err != EAGAIN) perror("fuse: reading device");
      return -err;
    }
    if ((size_t) res < 16) { /* shorter than struct fuse_in_header */
      fprintf(stderr, "short read on fuse device\\n");
      return -EIO;
    }
    dnpipes_opcode = ((uint32_t *) buf)[1]; /* fuse_in_header: len, opcode, unique, ... */
    return (int) res;
  }
}

static int dnpipes_chan_send (struct fuse_chan *ch, const struct iovec iov[], size_t count) {
  if (!iov) return 0;
  ssize_t res = writev(fuse_chan_fd(ch), iov, count);
  int err = errno;
  if (res == -1) {
    struct fuse_session *se = fuse_chan_session(ch);
    if (!fuse_session_exited(se) && err != ENOENT) perror("fuse: writing device");
    return -err;
  }
  return 0;
}

/* The descriptor is the kernel channel's, closed by fuse_unmount(). */
static void dnpipes_chan_destroy (struct fuse_chan *ch) {
  (void) ch;
}

static struct fuse_chan_ops dnpipes_chan_ops = {
  .receive = dnpipes_chan_receive,
  .send = dnpipes_chan_send,
  .destroy = dnpipes_chan_destroy
};
`

const EDITS = [
  {
    after: 'FUSE_METHOD(getxattr, 4, 1, (const char *path, const char *name, char *value, size_t size), {\n',
    text: '  if (dnpipes_xattr_prefix[0] != \'\\0\' && strncmp(name, dnpipes_xattr_prefix, strlen(dnpipes_xattr_prefix)) != 0) return -ENODATA;\n'
  },
  {
    after: 'static void fuse_native_async_init (uv_async_t* handle) {\n',
    before: true,
    text: 'NAPI_METHOD(fuse_native_own_xattrs) {\n' +
      '  NAPI_ARGV(1)\n' +
      '  NAPI_ARGV_UTF8(prefix, 64, 0)\n' +
      '  snprintf(dnpipes_xattr_prefix, sizeof(dnpipes_xattr_prefix), "%s", prefix);\n' +
      '  return NULL;\n' +
      '}\n\n'
  },
  {
    after: '  NAPI_EXPORT_FUNCTION(fuse_native_unmount)\n',
    text: '  NAPI_EXPORT_FUNCTION(fuse_native_own_xattrs)\n'
  },
  {
    after: '  // Internal bookkeeping\n',
    text: `  ${MARKER}\n  uint32_t caller_uid;\n  uint32_t caller_gid;\n  uint32_t caller_pid;\n  uint32_t caller_umask;\n  uint32_t caller_opcode;\n\n`
  },
  {
    after: '  l->op_fn = fuse_native_dispatch_##name;\\\n',
    text: '  struct fuse_context *caller = fuse_get_context();\\\n' +
      '  l->caller_uid = caller->uid;\\\n  l->caller_gid = caller->gid;\\\n' +
      '  l->caller_pid = caller->pid;\\\n  l->caller_umask = caller->umask;\\\n' +
      '  l->caller_opcode = dnpipes_opcode;\\\n'
  },
  {
    after: 'static pthread_key_t thread_locals_key;\n',
    text: CHANNEL
  },
  {
    after: 'static void fuse_native_async_init (uv_async_t* handle) {\n',
    before: true,
    text: callerFunction(5, 'l->caller_uid, l->caller_gid, l->caller_pid, l->caller_umask, l->caller_opcode')
  },
  {
    replace: '  struct fuse *fuse = fuse_new(ch, &args, &ops, sizeof(struct fuse_operations), ft);\n',
    text: '  struct fuse_chan *dnpipes_ch = fuse_chan_new(&dnpipes_chan_ops, fuse_chan_fd(ch), fuse_chan_bufsize(ch), NULL);\n' +
      '  struct fuse *fuse = dnpipes_ch ? fuse_new(dnpipes_ch, &args, &ops, sizeof(struct fuse_operations), ft) : NULL;\n'
  },
  {
    after: '  NAPI_EXPORT_FUNCTION(fuse_native_unmount)\n',
    text: '  NAPI_EXPORT_FUNCTION(fuse_native_caller)\n'
  }
]

/**
 * What the first version inserted (caller context only), which kept no copy of fuse-native's
 * own source: removed again to get it back. Later versions keep the copy (see patch()).
 */
const EDITS_V1 = [
  `  ${MARKER_V1}\n  uint32_t caller_uid;\n  uint32_t caller_gid;\n  uint32_t caller_pid;\n  uint32_t caller_umask;\n\n`,
  '  struct fuse_context *caller = fuse_get_context();\\\n' +
    '  l->caller_uid = caller->uid;\\\n  l->caller_gid = caller->gid;\\\n' +
    '  l->caller_pid = caller->pid;\\\n  l->caller_umask = caller->umask;\\\n',
  callerFunction(4, 'l->caller_uid, l->caller_gid, l->caller_pid, l->caller_umask'),
  '  NAPI_EXPORT_FUNCTION(fuse_native_caller)\n'
]

/** fuse-native's own source, kept beside it the first time it is patched. */
const pristine = source + '.orig'

function patch () {
  let text = fs.readFileSync(source, 'utf8')
  if (text.includes(MARKER)) return
  if (fs.existsSync(pristine)) {
    // Patched by an earlier version of this script: start again from fuse-native's own source.
    text = fs.readFileSync(pristine, 'utf8')
  } else if (text.includes(MARKER_V1)) {
    for (const inserted of EDITS_V1) {
      if (!text.includes(inserted)) throw new Error('fuse-native.c was patched by an unknown version; reinstall it (npm ci)')
      text = text.replace(inserted, '')
    }
  }
  if (text.includes('/* dnpipes:')) throw new Error('fuse-native.c was patched by an unknown version; reinstall it (npm ci)')
  if (!fs.existsSync(pristine)) fs.writeFileSync(pristine, text)
  for (const edit of EDITS) {
    const anchor = edit.replace ?? edit.after
    const at = text.indexOf(anchor)
    if (at < 0) throw new Error(`fuse-native.c has no ${JSON.stringify(anchor.trim())}: not the 2.2.6 this patch is for`)
    if (edit.replace) {
      text = text.slice(0, at) + edit.text + text.slice(at + anchor.length)
      continue
    }
    const cut = edit.before ? at : at + anchor.length
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
  if (!hasCaller()) throw new Error(`rebuilt ${built} but it has no fuse_native_caller or fuse_native_own_xattrs`)
  process.stderr.write('dnpipes setup: rebuilt fuse-native with the caller context, the opcode and its own xattrs\n')
}
