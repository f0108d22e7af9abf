/* The addon's entry: registers what mount.c and channel.c export. */
#include <node_api.h>

#include "channel.h"
#include "clone.h"
#include "held-napi.h"
#include "mount.h"
#include "napi-helpers.h"

static napi_value init(napi_env env, napi_value exports) {
  static const napi_property_descriptor functions[] = {
    { "mount", NULL, dnpipes_mount, NULL, NULL, NULL, napi_default, NULL },
    { "unmount", NULL, dnpipes_unmount, NULL, NULL, NULL, napi_default, NULL },
    { "open", NULL, dnpipes_channel_open, NULL, NULL, NULL, napi_default, NULL },
    { "write", NULL, dnpipes_channel_write, NULL, NULL, NULL, napi_default, NULL },
    { "close", NULL, dnpipes_channel_close, NULL, NULL, NULL, napi_default, NULL },
    { "pause", NULL, dnpipes_channel_pause, NULL, NULL, NULL, napi_default, NULL },
    { "hold", NULL, dnpipes_hold, NULL, NULL, NULL, napi_default, NULL },
    { "drop", NULL, dnpipes_drop, NULL, NULL, NULL, napi_default, NULL },
    { "clone", NULL, dnpipes_clone, NULL, NULL, NULL, napi_default, NULL },
  };
  dnpipes_mount_init();
  NAPI_OR_NULL(env, napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
