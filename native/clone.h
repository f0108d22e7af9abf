#ifndef DNPIPES_CLONE_H
#define DNPIPES_CLONE_H

#include <node_api.h>

napi_value dnpipes_clone(napi_env env, napi_callback_info info);

#endif
