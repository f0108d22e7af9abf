#ifndef DNPIPES_CHANNEL_H
#define DNPIPES_CHANNEL_H

#include <node_api.h>

napi_value dnpipes_channel_open(napi_env env, napi_callback_info info);
napi_value dnpipes_channel_write(napi_env env, napi_callback_info info);
napi_value dnpipes_channel_close(napi_env env, napi_callback_info info);
napi_value dnpipes_channel_pause(napi_env env, napi_callback_info info);
/* The held entries of a channel argument; NULL (and a TypeError thrown) when it is not one. */
struct held_entries *dnpipes_channel_held(napi_env env, napi_value value);

#endif
