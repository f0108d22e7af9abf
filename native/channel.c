/*
 * A FUSE connection's descriptor served on Node's event loop: libuv polls it, each request is
 * read into one buffer that JavaScript owns and handed over by its length, and replies are
 * written from the JavaScript thread. No thread hop per request, no copy on the way in; the
 * request is decoded in TypeScript (src/fuse/request.ts), which copies what it keeps.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#include "channel.h"
#include "held-entries.h"
#include "napi-helpers.h"

/* Requests read per wake-up before the loop gets its turn back (the poll is level-triggered). */
#define REQUESTS_PER_TURN 64
/* Chunks one reply may be written from (a header and its payload, or a few more). */
#define MAX_CHUNKS 4
/*
 * How long the loop goes on polling without sleeping after a reply. A process that made a
 * request mostly makes its next one within microseconds (a stat after a stat, the write after
 * an open), and a thread that slept takes far longer to wake when the other CPU is idle: on a
 * virtual machine whose idle CPUs halt, 10 000 stats of a file served from memory took 0.75 s
 * with the server and the caller pinned to different CPUs and 0.12 s on the same one.
 */
#define POLL_AFTER_REPLY_NS 50000
/* libuv handles a channel has, each closed before the channel is freed. */
#define HANDLES 2

struct channel {
  napi_env env;
  uv_poll_t poll;
  /* Active while the loop is to poll without sleeping, until polling_until (uv_hrtime). */
  uv_idle_t polling;
  uint64_t polling_until;
  int handles_open;
  int fd;
  int closing;
  /* Handing over: no more reads, replies still go out (see pause). */
  int paused;
  uint8_t *buffer;
  size_t size;
  napi_ref buffer_ref;
  napi_ref on_request;
  napi_ref on_end;
  napi_async_context context;
  /* Lookups answered without JavaScript (see held-entries.h). */
  struct held_entries *held;
};

static void release(struct channel *channel) {
  napi_env env = channel->env;
  napi_delete_reference(env, channel->buffer_ref);
  napi_delete_reference(env, channel->on_request);
  napi_delete_reference(env, channel->on_end);
  napi_async_destroy(env, channel->context);
  held_entries_free(channel->held);
  free(channel);
}

static void on_closed(uv_handle_t *handle) {
  struct channel *channel = handle->data;
  if (--channel->handles_open == 0) release(channel);
}

static void stop(struct channel *channel) {
  if (channel->closing) return;
  channel->closing = 1;
  uv_poll_stop(&channel->poll);
  uv_idle_stop(&channel->polling);
  uv_close((uv_handle_t *)&channel->poll, on_closed);
  uv_close((uv_handle_t *)&channel->polling, on_closed);
}

/*
 * Each turn of the loop while polling: an active idle handle makes libuv poll with a timeout of
 * 0, and yielding lets a caller that shares this CPU run first.
 */
static void on_polling(uv_idle_t *idle) {
  struct channel *channel = idle->data;
  if (uv_hrtime() >= channel->polling_until) {
    uv_idle_stop(idle);
    return;
  }
  sched_yield();
}

/* A reply went out: the loop keeps polling for the next request for a while (see POLL_AFTER_REPLY_NS). */
static void keep_polling(struct channel *channel) {
  if (channel->paused) return;
  channel->polling_until = uv_hrtime() + POLL_AFTER_REPLY_NS;
  if (!uv_is_active((uv_handle_t *)&channel->polling)) uv_idle_start(&channel->polling, on_polling);
}

/* Calls a JavaScript callback with one number; an exception it throws becomes uncaught. */
static void call(struct channel *channel, napi_ref function_ref, double value) {
  napi_env env = channel->env;
  napi_handle_scope scope = NULL;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value function = NULL, receiver = NULL, argument = NULL, result = NULL;
  napi_get_reference_value(env, function_ref, &function);
  napi_get_global(env, &receiver);
  napi_create_double(env, value, &argument);
  if (napi_make_callback(env, channel->context, receiver, function, 1, &argument, &result) != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) dnpipes_throw_last(env);
    napi_value error = NULL;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, scope);
}

/* The connection ended (unmounted, aborted) or failed: JavaScript hears why, once. */
static void end(struct channel *channel, int errnum) {
  napi_ref on_end = channel->on_end;
  stop(channel);
  call(channel, on_end, errnum);
}

/*
 * Answers a LOOKUP of an entry JavaScript holds here (held-entries.h): 1 if answered. A request
 * whose name has no NUL within its length is left to JavaScript, which refuses it.
 */
static int answer_held(struct channel *channel, const struct fuse_in_header *header, size_t length) {
  if (header->opcode != FUSE_LOOKUP || !channel->held) return 0;
  const char *name = (const char *)(header + 1);
  const char *nul = memchr(name, 0, length - sizeof *header);
  if (!nul) return 0;
  struct held_entry *entry = held_entries_find(channel->held, header->nodeid, name, (size_t)(nul - name));
  if (!entry) return 0;
  size_t reply_length = 0;
  const void *reply = held_entry_reply(entry, &reply_length);
  struct fuse_out_header out = { .len = (uint32_t)(sizeof out + reply_length), .error = 0, .unique = header->unique };
  struct iovec chunks[2] = { { &out, sizeof out }, { (void *)reply, reply_length } };
  ssize_t written;
  do {
    written = writev(channel->fd, chunks, 2);
  } while (written < 0 && errno == EINTR);
  /* A reply the kernel refused (ENOENT: the lookup was interrupted) made no reference. */
  if (written >= 0) held_entry_answered(entry);
  keep_polling(channel);
  return 1;
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  (void)status;
  (void)events;
  struct channel *channel = poll->data;
  for (int turn = 0; turn < REQUESTS_PER_TURN && !channel->closing && !channel->paused; turn++) {
    ssize_t length = read(channel->fd, channel->buffer, channel->size);
    if (length < 0) {
      /* ENOENT: the request was interrupted before we read it; the kernel dropped it. */
      if (errno == EINTR || errno == ENOENT) continue;
      if (errno == EAGAIN) return;
      end(channel, errno);
      return;
    }
    const struct fuse_in_header *header = (const struct fuse_in_header *)channel->buffer;
    if ((size_t)length < sizeof *header || header->len != (uint32_t)length) {
      end(channel, EPROTO);
      return;
    }
    if (answer_held(channel, header, (size_t)length)) continue;
    call(channel, channel->on_request, (double)length);
  }
}

/*
 * open(fd: number, buffer: Buffer, onRequest: (length) => void, onEnd: (errno) => void): channel
 * The buffer must hold the largest request the connection was told to send.
 */
napi_value dnpipes_channel_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  NAPI_OR_NULL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  void *data = NULL;
  size_t size = 0;
  napi_valuetype request_type, end_type;
  if (argc < 4 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      napi_get_buffer_info(env, argv[1], &data, &size) != napi_ok ||
      napi_typeof(env, argv[2], &request_type) != napi_ok || request_type != napi_function ||
      napi_typeof(env, argv[3], &end_type) != napi_ok || end_type != napi_function) {
    napi_throw_type_error(env, NULL, "open(fd, buffer, onRequest, onEnd)");
    return NULL;
  }
  if (size < FUSE_MIN_READ_BUFFER) {
    napi_throw_range_error(env, NULL, "the request buffer must hold at least FUSE_MIN_READ_BUFFER (8192) bytes");
    return NULL;
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    napi_throw(env, dnpipes_errno_error(env, errno, "open: O_NONBLOCK"));
    return NULL;
  }
  struct channel *channel = calloc(1, sizeof *channel);
  if (!channel) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  channel->env = env;
  channel->fd = fd;
  channel->held = held_entries_new();
  if (!channel->held) {
    free(channel);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  channel->buffer = data;
  channel->size = size;
  napi_value name = NULL, handle = NULL;
  uv_loop_t *loop = NULL;
  if (napi_create_reference(env, argv[1], 1, &channel->buffer_ref) != napi_ok ||
      napi_create_reference(env, argv[2], 1, &channel->on_request) != napi_ok ||
      napi_create_reference(env, argv[3], 1, &channel->on_end) != napi_ok ||
      napi_create_string_utf8(env, "dnpipes:fuse", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, NULL, name, &channel->context) != napi_ok ||
      napi_get_uv_event_loop(env, &loop) != napi_ok ||
      napi_create_external(env, channel, NULL, NULL, &handle) != napi_ok) {
    dnpipes_throw_last(env);
    release(channel);
    return NULL;
  }
  int failed = uv_poll_init(loop, &channel->poll, fd);
  if (failed != 0) {
    release(channel);
  } else {
    uv_idle_init(loop, &channel->polling);
    channel->poll.data = channel;
    channel->polling.data = channel;
    channel->handles_open = HANDLES;
    failed = uv_poll_start(&channel->poll, UV_READABLE, on_readable);
    /* An initialised handle is freed only once libuv has closed it. */
    if (failed != 0) stop(channel);
  }
  if (failed != 0) {
    napi_throw(env, dnpipes_errno_error(env, -failed, "open: poll"));
    return NULL;
  }
  return handle;
}

static struct channel *channel_arg(napi_env env, napi_value value) {
  struct channel *channel = NULL;
  if (napi_get_value_external(env, value, (void **)&channel) != napi_ok || !channel) {
    napi_throw_type_error(env, NULL, "not a channel");
    return NULL;
  }
  return channel;
}

struct held_entries *dnpipes_channel_held(napi_env env, napi_value value) {
  struct channel *channel = channel_arg(env, value);
  return channel ? channel->held : NULL;
}

/*
 * write(channel, ...chunks: Buffer[]): 0, or -errno (-ENOENT: the request was interrupted and
 * is gone; the reply is dropped, as the protocol wants).
 */
napi_value dnpipes_channel_write(napi_env env, napi_callback_info info) {
  size_t argc = 1 + MAX_CHUNKS;
  napi_value argv[1 + MAX_CHUNKS];
  NAPI_OR_NULL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || argc > 1 + MAX_CHUNKS) {
    napi_throw_type_error(env, NULL, "write(channel, ...chunks) takes 1 to 4 chunks");
    return NULL;
  }
  struct channel *channel = channel_arg(env, argv[0]);
  if (!channel) return NULL;
  if (channel->closing) return dnpipes_int(env, -EBADF);
  struct iovec chunks[MAX_CHUNKS];
  for (size_t i = 1; i < argc; i++) {
    if (napi_get_buffer_info(env, argv[i], &chunks[i - 1].iov_base, &chunks[i - 1].iov_len) != napi_ok) {
      napi_throw_type_error(env, NULL, "every chunk must be a Buffer");
      return NULL;
    }
  }
  ssize_t written;
  do {
    written = writev(channel->fd, chunks, (int)(argc - 1));
  } while (written < 0 && errno == EINTR);
  if (written < 0) return dnpipes_int(env, -errno);
  keep_polling(channel);
  return dnpipes_int(env, 0);
}

/*
 * pause(channel): reads no more requests, and still writes replies: a server handing the
 * connection over answers what it has read, and leaves the rest to the next one.
 */
napi_value dnpipes_channel_pause(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OR_NULL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  struct channel *channel = argc < 1 ? NULL : channel_arg(env, argv[0]);
  if (!channel || channel->closing) return NULL;
  channel->paused = 1;
  uv_poll_stop(&channel->poll);
  uv_idle_stop(&channel->polling);
  return NULL;
}

/* close(channel): stops polling; the descriptor stays open (the session owns it). */
napi_value dnpipes_channel_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OR_NULL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  struct channel *channel = argc < 1 ? NULL : channel_arg(env, argv[0]);
  if (!channel) return NULL;
  stop(channel);
  return NULL;
}
