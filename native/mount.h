#ifndef DNPIPES_MOUNT_H
#define DNPIPES_MOUNT_H

#include <node_api.h>

napi_value dnpipes_mount(napi_env env, napi_callback_info info);
napi_value dnpipes_unmount(napi_env env, napi_callback_info info);
/* Routes libfuse's log messages to the job that caused them. */
void dnpipes_mount_init(void);

#endif
