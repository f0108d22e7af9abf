#!/usr/bin/env bash
# Installs what dnpipes needs on a Debian machine (fuse3, redis-server; make, g++, pkg-config
# and libfuse3-dev to build the FUSE addon in native/; npm packages; attr and python3 for the
# tests)
# and builds it. Does nothing that is already done, so every command can start with it.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v fusermount3 >/dev/null 2>&1 || missing+=(fuse3)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# The FUSE addon of our own (native/, scripts/build-native.js) builds on libfuse 3.
command -v make >/dev/null 2>&1 || missing+=(make)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
[ -f /usr/include/fuse3/fuse_lowlevel.h ] || missing+=(libfuse3-dev)
# Used by the tests only: getfattr/setfattr, python3 for a raw getxattr(2) call, openssl for
# a throwaway CA, luac to check that every Lua script parses, rsync to copy trees in.
command -v getfattr >/dev/null 2>&1 || missing+=(attr)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v luac5.1 >/dev/null 2>&1 || missing+=(lua5.1)
command -v rsync >/dev/null 2>&1 || missing+=(rsync)
# A Python service sharing a consumer group with file readers (the work-queue tests); Debian's
# python3, not whichever python3 comes first on PATH.
/usr/bin/python3 -c 'import redis' >/dev/null 2>&1 || missing+=(python3-redis)
# `--tests` (npm test): a real container runtime for the container tests, podman with runc, and a
# static busybox to make their image from; a plain mount does not need them.
if [ "${1:-}" = "--tests" ]; then
  command -v podman >/dev/null 2>&1 || missing+=(podman)
  command -v runc >/dev/null 2>&1 || missing+=(runc)
  dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' || missing+=(busybox-static)
fi
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "dnpipes setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
[ -e /dev/fuse ] || echo "dnpipes setup: warning: /dev/fuse is missing; mounting needs it (see Troubleshooting in README.md)" >&2

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-fund --no-audit >&2
fi
node scripts/build-native.js >&2
npm run --silent build
