/* A chained hash table of held entries (see held-entries.h); it doubles as it fills. */
#include "held-entries.h"

#include <stdlib.h>
#include <string.h>

#define INITIAL_BUCKETS 1024

struct held_entry {
  struct held_entry *next;
  uint64_t parent;
  uint32_t lookups;
  uint32_t reply_length;
  unsigned char reply[HELD_ENTRY_MAX_REPLY];
  size_t name_length;
  char name[];
};

struct held_entries {
  struct held_entry **buckets;
  size_t bucket_count;
  size_t count;
};

/* FNV-1a over the parent's bytes then the name's. */
static uint64_t hash_of(uint64_t parent, const char *name, size_t name_length) {
  uint64_t hash = 14695981039346656037ULL;
  for (int i = 0; i < 8; i++) {
    hash ^= (parent >> (8 * i)) & 0xff;
    hash *= 1099511628211ULL;
  }
  for (size_t i = 0; i < name_length; i++) {
    hash ^= (unsigned char)name[i];
    hash *= 1099511628211ULL;
  }
  return hash;
}

static struct held_entry **slot_of(const struct held_entries *entries, uint64_t parent, const char *name,
                                   size_t name_length) {
  struct held_entry **slot = &entries->buckets[hash_of(parent, name, name_length) & (entries->bucket_count - 1)];
  while (*slot && !((*slot)->parent == parent && (*slot)->name_length == name_length &&
                    memcmp((*slot)->name, name, name_length) == 0)) {
    slot = &(*slot)->next;
  }
  return slot;
}

struct held_entries *held_entries_new(void) {
  struct held_entries *entries = calloc(1, sizeof *entries);
  if (!entries) return NULL;
  entries->buckets = calloc(INITIAL_BUCKETS, sizeof *entries->buckets);
  if (!entries->buckets) {
    free(entries);
    return NULL;
  }
  entries->bucket_count = INITIAL_BUCKETS;
  return entries;
}

void held_entries_free(struct held_entries *entries) {
  if (!entries) return;
  for (size_t i = 0; i < entries->bucket_count; i++) {
    struct held_entry *entry = entries->buckets[i];
    while (entry) {
      struct held_entry *next = entry->next;
      free(entry);
      entry = next;
    }
  }
  free(entries->buckets);
  free(entries);
}

/* Doubles the buckets; on failure the table stays as it was, only fuller. */
static void grow(struct held_entries *entries) {
  size_t bucket_count = entries->bucket_count * 2;
  struct held_entry **buckets = calloc(bucket_count, sizeof *buckets);
  if (!buckets) return;
  for (size_t i = 0; i < entries->bucket_count; i++) {
    struct held_entry *entry = entries->buckets[i];
    while (entry) {
      struct held_entry *next = entry->next;
      size_t at = hash_of(entry->parent, entry->name, entry->name_length) & (bucket_count - 1);
      entry->next = buckets[at];
      buckets[at] = entry;
      entry = next;
    }
  }
  free(entries->buckets);
  entries->buckets = buckets;
  entries->bucket_count = bucket_count;
}

int64_t held_entries_put(struct held_entries *entries, uint64_t parent, const char *name, size_t name_length,
                         const void *reply, size_t reply_length) {
  if (reply_length > HELD_ENTRY_MAX_REPLY) return -1;
  struct held_entry **slot = slot_of(entries, parent, name, name_length);
  struct held_entry *entry = *slot;
  int64_t answered = 0;
  if (entry) {
    answered = entry->lookups;
  } else {
    entry = malloc(sizeof *entry + name_length);
    if (!entry) return -1;
    entry->next = NULL;
    entry->parent = parent;
    entry->name_length = name_length;
    memcpy(entry->name, name, name_length);
    *slot = entry;
    if (++entries->count > entries->bucket_count) grow(entries);
  }
  entry->lookups = 0;
  entry->reply_length = (uint32_t)reply_length;
  memcpy(entry->reply, reply, reply_length);
  return answered;
}

uint32_t held_entries_drop(struct held_entries *entries, uint64_t parent, const char *name, size_t name_length) {
  struct held_entry **slot = slot_of(entries, parent, name, name_length);
  struct held_entry *entry = *slot;
  if (!entry) return 0;
  uint32_t answered = entry->lookups;
  *slot = entry->next;
  free(entry);
  entries->count--;
  return answered;
}

struct held_entry *held_entries_find(struct held_entries *entries, uint64_t parent, const char *name,
                                     size_t name_length) {
  if (entries->count == 0) return NULL;
  struct held_entry *entry = *slot_of(entries, parent, name, name_length);
  return entry && entry->lookups < UINT32_MAX ? entry : NULL;
}

const void *held_entry_reply(const struct held_entry *entry, size_t *reply_length) {
  *reply_length = entry->reply_length;
  return entry->reply;
}

void held_entry_answered(struct held_entry *entry) {
  entry->lookups++;
}
