/*
 * A second descriptor of a FUSE connection (FUSE_DEV_IOC_CLONE), for one server of a mount (see
 * src/restart/supervisor.ts). Requests a server reads through its own descriptor are answered
 * with ECONNABORTED by the kernel when that descriptor's last copy is closed, where the shared
 * one would keep them waiting for an answer that a dead server will never give.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "clone.h"
#include "napi-helpers.h"

/* clone(fd: number): number, a new descriptor of the connection `fd` is one of. */
napi_value dnpipes_clone(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!dnpipes_args(env, info, 1, argv, "clone(fd)")) return NULL;
  int32_t session_fd;
  if (napi_get_value_int32(env, argv[0], &session_fd) != napi_ok || session_fd < 0) {
    napi_throw_type_error(env, NULL, "clone(fd): fd must be a descriptor");
    return NULL;
  }
  int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    napi_throw(env, dnpipes_errno_error(env, errno, "open /dev/fuse"));
    return NULL;
  }
  uint32_t master = (uint32_t)session_fd;
  if (ioctl(fd, FUSE_DEV_IOC_CLONE, &master) < 0) {
    int failed = errno;
    close(fd);
    napi_throw(env, dnpipes_errno_error(env, failed, "FUSE_DEV_IOC_CLONE"));
    return NULL;
  }
  return dnpipes_int(env, fd);
}
