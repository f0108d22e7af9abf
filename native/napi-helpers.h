/*
 * Small helpers shared by the addon's files: argument reading and errors thrown with an errno
 * code, so that JavaScript sees `err.code === 'ENOENT'` as it does from node:fs.
 */
#ifndef DNPIPES_NAPI_HELPERS_H
#define DNPIPES_NAPI_HELPERS_H

#include <node_api.h>
#include <stddef.h>

/* Evaluates a napi call; on failure throws (if nothing is pending) and returns NULL. */
#define NAPI_OR_NULL(env, call)                                   \
  do {                                                            \
    if ((call) != napi_ok) {                                      \
      dnpipes_throw_last(env);                                    \
      return NULL;                                                \
    }                                                             \
  } while (0)

void dnpipes_throw_last(napi_env env);
napi_value dnpipes_errno_error(napi_env env, int errnum, const char *what);
/* Copies a string argument into a new malloc'd buffer; NULL (and a TypeError) otherwise. */
char *dnpipes_string_arg(napi_env env, napi_value value, const char *name);
napi_value dnpipes_int(napi_env env, int value);
/*
 * Reads a call's first `count` arguments into `argv`: 1, or 0 with an exception pending (a
 * TypeError naming `usage` when fewer were given).
 */
int dnpipes_args(napi_env env, napi_callback_info info, size_t count, napi_value *argv, const char *usage);

#endif
