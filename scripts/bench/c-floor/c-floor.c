/*
 * The benchmark's physical floor for request-bound work: a filesystem in C on libfuse 3
 * (high-level API, multi-threaded loop) that keeps names and sizes in memory and answers at
 * once, mounted with the kernel caching dnpipes uses (names 1 s, attributes 1 s as dnpipes keeps
 * those it holds, listings with attributes, no negative entries, direct I/O). What dnpipes costs
 * over it is what its own layers cost.
 *
 * Usage: c-floor MOUNTPOINT [-o OPTIONS]; prints "mounted" when it serves, unmounts on SIGTERM.
 * Built by the benchmark (scripts/bench/c-floor.ts) with libfuse3-dev.
 */
#define FUSE_USE_VERSION 35
#include <fuse.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TABLE_SIZE (1u << 18) /* open addressing; the benchmark makes tens of thousands of names */
#define MAX_PATH 1024

struct node {
  char *path;
  int directory;
  off_t size;
  struct timespec mtime;
};

static struct node table[TABLE_SIZE];
static size_t node_count;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static uint32_t hash(const char *path) {
  uint32_t h = 2166136261u;
  for (; *path; path++) h = (h ^ (uint8_t)*path) * 16777619u;
  return h;
}

/* The slot of `path`, or the empty slot where it would go. */
static struct node *slot(const char *path) {
  for (uint32_t i = hash(path) & (TABLE_SIZE - 1);; i = (i + 1) & (TABLE_SIZE - 1)) {
    if (!table[i].path || strcmp(table[i].path, path) == 0) return &table[i];
  }
}

static int add(const char *path, int directory) {
  if (node_count >= TABLE_SIZE / 2) return -ENOSPC;
  struct node *node = slot(path);
  if (node->path) return -EEXIST;
  node->path = strdup(path);
  if (!node->path) return -ENOMEM;
  node->directory = directory;
  node->size = 0;
  clock_gettime(CLOCK_REALTIME, &node->mtime);
  node_count++;
  return 0;
}

static void fill(const struct node *node, struct stat *st) {
  memset(st, 0, sizeof *st);
  st->st_mode = node->directory ? S_IFDIR | 0755 : S_IFREG | 0644;
  st->st_nlink = node->directory ? 2 : 1;
  st->st_uid = getuid();
  st->st_gid = getgid();
  st->st_size = node->size;
  st->st_blocks = (node->size + 511) / 512;
  st->st_blksize = 4096;
  st->st_mtim = st->st_atim = st->st_ctim = node->mtime;
}

static int floor_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
  (void)fi;
  pthread_mutex_lock(&lock);
  struct node *node = slot(path);
  int result = node->path ? 0 : -ENOENT;
  if (node->path) fill(node, st);
  pthread_mutex_unlock(&lock);
  return result;
}

static int floor_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t offset, struct fuse_file_info *fi, enum fuse_readdir_flags flags) {
  (void)offset;
  (void)fi;
  /* With READDIRPLUS, each name with its attributes, as dnpipes lists the names it holds. */
  int plus = (flags & FUSE_READDIR_PLUS) != 0;
  struct stat st;
  size_t prefix = strlen(path);
  filler(buf, ".", NULL, 0, 0);
  filler(buf, "..", NULL, 0, 0);
  pthread_mutex_lock(&lock);
  for (size_t i = 0; i < TABLE_SIZE; i++) {
    const char *entry = table[i].path;
    if (!entry || strcmp(entry, "/") == 0 || strncmp(entry, path, prefix) != 0) continue;
    const char *name = entry + prefix + (prefix > 1 ? 1 : 0);
    if ((prefix > 1 && entry[prefix] != '/') || strchr(name, '/')) continue;
    if (plus) fill(&table[i], &st);
    filler(buf, name, plus ? &st : NULL, 0, plus ? FUSE_FILL_DIR_PLUS : 0);
  }
  pthread_mutex_unlock(&lock);
  return 0;
}

static int floor_mknode(const char *path, int directory) {
  if (strlen(path) >= MAX_PATH) return -ENAMETOOLONG;
  pthread_mutex_lock(&lock);
  int result = add(path, directory);
  pthread_mutex_unlock(&lock);
  return result;
}

static int floor_create(const char *path, mode_t mode, struct fuse_file_info *fi) {
  (void)mode;
  (void)fi;
  return floor_mknode(path, 0);
}

static int floor_mkdir(const char *path, mode_t mode) {
  (void)mode;
  return floor_mknode(path, 1);
}

static int floor_open(const char *path, struct fuse_file_info *fi) {
  pthread_mutex_lock(&lock);
  struct node *node = slot(path);
  int result = node->path ? 0 : -ENOENT;
  if (node->path && (fi->flags & O_TRUNC)) node->size = 0;
  pthread_mutex_unlock(&lock);
  return result;
}

static int floor_read(const char *path, char *buf, size_t size, off_t offset, struct fuse_file_info *fi) {
  (void)fi;
  pthread_mutex_lock(&lock);
  struct node *node = slot(path);
  int result = -ENOENT;
  if (node->path) {
    off_t left = node->size > offset ? node->size - offset : 0;
    result = (int)((off_t)size < left ? (off_t)size : left);
    memset(buf, 'x', (size_t)result);
  }
  pthread_mutex_unlock(&lock);
  return result;
}

static int floor_write(const char *path, const char *buf, size_t size, off_t offset, struct fuse_file_info *fi) {
  (void)buf;
  (void)offset;
  (void)fi;
  pthread_mutex_lock(&lock);
  struct node *node = slot(path);
  int result = -ENOENT;
  if (node->path) {
    node->size += (off_t)size;
    clock_gettime(CLOCK_REALTIME, &node->mtime);
    result = (int)size;
  }
  pthread_mutex_unlock(&lock);
  return result;
}

static int floor_truncate(const char *path, off_t size, struct fuse_file_info *fi) {
  (void)fi;
  pthread_mutex_lock(&lock);
  struct node *node = slot(path);
  int result = node->path ? 0 : -ENOENT;
  if (node->path) node->size = size;
  pthread_mutex_unlock(&lock);
  return result;
}

static int floor_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi) {
  (void)tv;
  struct stat st;
  return floor_getattr(path, &st, fi);
}

static int floor_getxattr(const char *path, const char *name, char *value, size_t size) {
  (void)path;
  (void)name;
  (void)value;
  (void)size;
  return -ENODATA;
}

static void *floor_init(struct fuse_conn_info *conn, struct fuse_config *cfg) {
  (void)conn;
  cfg->entry_timeout = 1;
  cfg->attr_timeout = 1;
  cfg->negative_timeout = 0;
  cfg->direct_io = 1;
  return NULL;
}

static const struct fuse_operations operations = {
  .init = floor_init,
  .getattr = floor_getattr,
  .readdir = floor_readdir,
  .create = floor_create,
  .mkdir = floor_mkdir,
  .open = floor_open,
  .read = floor_read,
  .write = floor_write,
  .truncate = floor_truncate,
  .utimens = floor_utimens,
  .getxattr = floor_getxattr,
};

int main(int argc, char *argv[]) {
  struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
  if (argc < 2) {
    fprintf(stderr, "usage: c-floor MOUNTPOINT [-o OPTIONS]\n");
    return 2;
  }
  const char *mountpoint = argv[1];
  /* The mountpoint is ours; libfuse gets the rest (-o …). */
  args.argv = argv + 1;
  args.argc = argc - 1;
  args.argv[0] = argv[0];
  if (add("/", 1) != 0) return 1;
  struct fuse *fuse = fuse_new(&args, &operations, sizeof operations, NULL);
  if (!fuse) return 1;
  if (fuse_mount(fuse, mountpoint) != 0) return 1;
  struct fuse_session *session = fuse_get_session(fuse);
  if (fuse_set_signal_handlers(session) != 0) return 1;
  printf("mounted\n");
  fflush(stdout);
  struct fuse_loop_config config = { .clone_fd = 0, .max_idle_threads = 10 };
  int result = fuse_loop_mt(fuse, &config);
  fuse_remove_signal_handlers(session);
  fuse_unmount(fuse);
  fuse_destroy(fuse);
  return result == 0 ? 0 : 1;
}
