/*
 * Mounting and unmounting through libfuse 3's low-level session: it parses the mount options
 * ("-o allow_other,fsname=…"), mounts with mount(2) as root and through fusermount3 otherwise,
 * takes an already mounted /dev/fd/N, and unmounts the same two ways. The session's requests
 * are never processed here: the descriptor is handed to channel.c and the protocol is spoken in
 * TypeScript (src/fuse/), which keeps every request's state in our hands, as a server that
 * takes over a connection from a crashed one must. Both calls can wait on a child process
 * (fusermount3), so they run on libuv's thread pool and resolve a promise.
 */
#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mount.h"
#include "napi-helpers.h"

struct dnpipes_session {
  struct fuse_session *fuse;
  int unmounting;
};

enum job_kind { JOB_MOUNT, JOB_UNMOUNT };

struct job {
  enum job_kind kind;
  napi_async_work work;
  napi_deferred deferred;
  char *mountpoint;
  char *options;
  struct dnpipes_session *session;
  /* Keeps the session's JavaScript handle (and so its memory) alive while a job uses it. */
  napi_ref session_handle;
  int fd;
  int failed;
  char message[512];
};

/* What libfuse logged on this thread during a job: it becomes the rejection's message. */
static __thread struct job *logging_job;

static void capture_log(enum fuse_log_level level, const char *format, va_list ap) {
  struct job *job = logging_job;
  if (!job) {
    vfprintf(stderr, format, ap);
    return;
  }
  if (level > FUSE_LOG_WARNING) return;
  size_t used = strlen(job->message);
  if (used + 1 >= sizeof job->message) return;
  vsnprintf(job->message + used, sizeof job->message - used, format, ap);
}

static void run_mount(struct job *job) {
  struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
  int ok = fuse_opt_add_arg(&args, "dnpipes") == 0;
  if (ok && job->options[0] != '\0') {
    ok = fuse_opt_add_arg(&args, "-o") == 0 && fuse_opt_add_arg(&args, job->options) == 0;
  }
  if (!ok) {
    fuse_opt_free_args(&args);
    job->failed = ENOMEM;
    return;
  }
  struct fuse_lowlevel_ops no_operations;
  memset(&no_operations, 0, sizeof no_operations);
  struct fuse_session *fuse = fuse_session_new(&args, &no_operations, sizeof no_operations, NULL);
  fuse_opt_free_args(&args);
  if (!fuse) {
    job->failed = EINVAL;
    return;
  }
  if (fuse_session_mount(fuse, job->mountpoint) != 0) {
    job->failed = errno ? errno : EIO;
    fuse_session_destroy(fuse);
    return;
  }
  job->session = malloc(sizeof *job->session);
  if (!job->session) {
    fuse_session_unmount(fuse);
    fuse_session_destroy(fuse);
    job->failed = ENOMEM;
    return;
  }
  job->session->fuse = fuse;
  job->session->unmounting = 0;
  job->fd = fuse_session_fd(fuse);
}

static void run_unmount(struct job *job) {
  fuse_session_unmount(job->session->fuse);
  fuse_session_destroy(job->session->fuse);
  job->session->fuse = NULL;
}

static void execute(napi_env env, void *data) {
  (void)env;
  struct job *job = data;
  logging_job = job;
  errno = 0;
  if (job->kind == JOB_MOUNT) run_mount(job);
  else run_unmount(job);
  logging_job = NULL;
}

static void finalize_session(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  struct dnpipes_session *session = data;
  /* A session still mounted when JavaScript drops it stays mounted, as after a crash: the
     kernel ends it when the process exits. Only its memory is ours to free. */
  free(session);
}

static napi_value mount_result(napi_env env, struct job *job) {
  napi_value result = NULL, session = NULL;
  napi_create_object(env, &result);
  napi_create_external(env, job->session, finalize_session, NULL, &session);
  napi_set_named_property(env, result, "session", session);
  napi_set_named_property(env, result, "fd", dnpipes_int(env, job->fd));
  return result;
}

/* Frees a job and what it holds; an unmount that never ran leaves its session unmountable again. */
static void job_free(napi_env env, struct job *job, int ran) {
  if (job->session_handle) napi_delete_reference(env, job->session_handle);
  if (!ran && job->kind == JOB_UNMOUNT) job->session->unmounting = 0;
  free(job->mountpoint);
  free(job->options);
  free(job);
}

static void complete(napi_env env, napi_status status, void *data) {
  struct job *job = data;
  if (status != napi_ok && !job->failed) job->failed = ECANCELED;
  if (job->failed) {
    napi_value error = dnpipes_errno_error(env, job->failed, job->kind == JOB_MOUNT ? "mount" : "unmount");
    if (job->message[0] != '\0') {
      size_t end = strlen(job->message);
      while (end > 0 && (job->message[end - 1] == '\n' || job->message[end - 1] == ' ')) job->message[--end] = '\0';
      napi_value detail = NULL;
      napi_create_string_utf8(env, job->message, NAPI_AUTO_LENGTH, &detail);
      napi_set_named_property(env, error, "detail", detail);
    }
    napi_reject_deferred(env, job->deferred, error);
  } else if (job->kind == JOB_MOUNT) {
    napi_resolve_deferred(env, job->deferred, mount_result(env, job));
  } else {
    napi_value nothing = NULL;
    napi_get_undefined(env, &nothing);
    napi_resolve_deferred(env, job->deferred, nothing);
  }
  napi_delete_async_work(env, job->work);
  job_free(env, job, 1);
}

static napi_value queue(napi_env env, struct job *job) {
  napi_value promise = NULL, name = NULL;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "dnpipes:mount", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, execute, complete, job, &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    job_free(env, job, 0);
    dnpipes_throw_last(env);
    return NULL;
  }
  return promise;
}

/* mount(mountpoint: string, options: string): Promise<{ session, fd }> */
napi_value dnpipes_mount(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!dnpipes_args(env, info, 2, argv, "mount(mountpoint, options)")) return NULL;
  struct job *job = calloc(1, sizeof *job);
  if (!job) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  job->kind = JOB_MOUNT;
  job->fd = -1;
  job->mountpoint = dnpipes_string_arg(env, argv[0], "mountpoint");
  job->options = job->mountpoint ? dnpipes_string_arg(env, argv[1], "options") : NULL;
  if (!job->options) {
    job_free(env, job, 0);
    return NULL;
  }
  return queue(env, job);
}

/* unmount(session): Promise<void>; the session's descriptor is closed. */
napi_value dnpipes_unmount(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OR_NULL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  struct dnpipes_session *session = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&session) != napi_ok || !session) {
    napi_throw_type_error(env, NULL, "unmount(session)");
    return NULL;
  }
  if (!session->fuse || session->unmounting) {
    napi_throw_error(env, "EALREADY", "unmount: the session is already unmounted");
    return NULL;
  }
  struct job *job = calloc(1, sizeof *job);
  if (!job) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  job->kind = JOB_UNMOUNT;
  job->session = session;
  job->fd = -1;
  session->unmounting = 1;
  if (napi_create_reference(env, argv[0], 1, &job->session_handle) != napi_ok) {
    job_free(env, job, 0);
    dnpipes_throw_last(env);
    return NULL;
  }
  return queue(env, job);
}

void dnpipes_mount_init(void) {
  fuse_set_log_func(capture_log);
}
