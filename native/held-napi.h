#ifndef DNPIPES_HELD_NAPI_H
#define DNPIPES_HELD_NAPI_H

#include <node_api.h>

napi_value dnpipes_hold(napi_env env, napi_callback_info info);
napi_value dnpipes_drop(napi_env env, napi_callback_info info);

#endif
