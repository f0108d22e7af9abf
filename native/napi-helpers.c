#include "napi-helpers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dnpipes_throw_last(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  napi_throw_error(env, NULL, info && info->error_message ? info->error_message : "N-API call failed");
}

/* Names of the errno values a mount or a channel reports; others keep their number. */
static const char *errno_code(int errnum) {
  switch (errnum) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case EACCES: return "EACCES";
    case EBUSY: return "EBUSY";
    case ENODEV: return "ENODEV";
    case ENOTDIR: return "ENOTDIR";
    case EINVAL: return "EINVAL";
    case ENOTCONN: return "ENOTCONN";
    default: return NULL;
  }
}

napi_value dnpipes_errno_error(napi_env env, int errnum, const char *what) {
  char message[512];
  snprintf(message, sizeof message, "%s: %s", what, strerror(errnum));
  napi_value text = NULL, error = NULL, code = NULL, number = NULL;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text);
  char fallback[16];
  const char *name = errno_code(errnum);
  if (!name) {
    snprintf(fallback, sizeof fallback, "E%d", errnum);
    name = fallback;
  }
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, text, &error);
  napi_create_int32(env, -errnum, &number);
  napi_set_named_property(env, error, "errno", number);
  return error;
}

char *dnpipes_string_arg(napi_env env, napi_value value, const char *name) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) {
    char message[128];
    snprintf(message, sizeof message, "%s must be a string", name);
    napi_throw_type_error(env, NULL, message);
    return NULL;
  }
  char *copy = malloc(length + 1);
  if (!copy) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, value, copy, length + 1, &length);
  return copy;
}

napi_value dnpipes_int(napi_env env, int value) {
  napi_value result = NULL;
  napi_create_int32(env, value, &result);
  return result;
}

int dnpipes_args(napi_env env, napi_callback_info info, size_t count, napi_value *argv, const char *usage) {
  size_t argc = count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    dnpipes_throw_last(env);
    return 0;
  }
  if (argc < count) {
    napi_throw_type_error(env, NULL, usage);
    return 0;
  }
  return 1;
}
