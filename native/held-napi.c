/* JavaScript's side of the held entries (held-entries.h): holding an entry's reply, dropping it. */
#include "held-napi.h"

#include <stdint.h>

#include "channel.h"
#include "held-entries.h"
#include "napi-helpers.h"

/* Reads a node id (a JavaScript number that holds it exactly) into `nodeid`; 0 and a TypeError otherwise. */
static int nodeid_arg(napi_env env, napi_value value, uint64_t *nodeid) {
  int64_t read = 0;
  if (napi_get_value_int64(env, value, &read) != napi_ok || read <= 0) {
    napi_throw_type_error(env, NULL, "a node id must be a positive integer");
    return 0;
  }
  *nodeid = (uint64_t)read;
  return 1;
}

static int buffer_arg(napi_env env, napi_value value, void **data, size_t *length, const char *what) {
  if (napi_get_buffer_info(env, value, data, length) != napi_ok) {
    napi_throw_type_error(env, NULL, what);
    return 0;
  }
  return 1;
}

/*
 * hold(channel, parent: number, name: Buffer, reply: Buffer): the lookups answered from the
 * entry it replaces (0 if none). The reply is a LOOKUP's body (fuse_entry_out), copied.
 */
napi_value dnpipes_hold(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!dnpipes_args(env, info, 4, argv, "hold(channel, parent, name, reply)")) return NULL;
  struct held_entries *held = dnpipes_channel_held(env, argv[0]);
  uint64_t parent = 0;
  void *name = NULL, *reply = NULL;
  size_t name_length = 0, reply_length = 0;
  if (!held || !nodeid_arg(env, argv[1], &parent) ||
      !buffer_arg(env, argv[2], &name, &name_length, "the name must be a Buffer") ||
      !buffer_arg(env, argv[3], &reply, &reply_length, "the reply must be a Buffer")) {
    return NULL;
  }
  if (reply_length > HELD_ENTRY_MAX_REPLY) {
    napi_throw_range_error(env, NULL, "a held reply is a LOOKUP's body, at most 128 bytes");
    return NULL;
  }
  int64_t answered = held_entries_put(held, parent, name, name_length, reply, reply_length);
  if (answered < 0) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  napi_value result = NULL;
  NAPI_OR_NULL(env, napi_create_int64(env, answered, &result));
  return result;
}

/* drop(channel, parent: number, name: Buffer): the lookups answered from the entry (0 if none was held). */
napi_value dnpipes_drop(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!dnpipes_args(env, info, 3, argv, "drop(channel, parent, name)")) return NULL;
  struct held_entries *held = dnpipes_channel_held(env, argv[0]);
  uint64_t parent = 0;
  void *name = NULL;
  size_t name_length = 0;
  if (!held || !nodeid_arg(env, argv[1], &parent) || !buffer_arg(env, argv[2], &name, &name_length, "the name must be a Buffer")) {
    return NULL;
  }
  napi_value result = NULL;
  NAPI_OR_NULL(env, napi_create_int64(env, held_entries_drop(held, parent, name, name_length), &result));
  return result;
}
