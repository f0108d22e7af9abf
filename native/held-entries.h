/*
 * Entries the filesystem holds (their attributes are current, and it says when they change),
 * keyed by parent node id and name: a LOOKUP of one is answered from here, by the connection's
 * reader, without JavaScript. Each answer is a reference the kernel counts (and later gives back
 * with FORGET), so the table counts them for JavaScript to take when it drops the entry.
 * Pure C: no N-API, no I/O.
 */
#ifndef DNPIPES_HELD_ENTRIES_H
#define DNPIPES_HELD_ENTRIES_H

#include <stddef.h>
#include <stdint.h>

/* A LOOKUP's whole reply body (struct fuse_entry_out) is at most this long. */
#define HELD_ENTRY_MAX_REPLY 128

struct held_entries;

struct held_entries *held_entries_new(void);
void held_entries_free(struct held_entries *entries);

/*
 * Holds the reply `reply` (of `reply_length` bytes, at most HELD_ENTRY_MAX_REPLY) for the name
 * `name` in directory `parent`, replacing what was held for it. Returns the lookups answered
 * from the replaced entry (0 if none), or -1 when out of memory (nothing changed then).
 */
int64_t held_entries_put(struct held_entries *entries, uint64_t parent, const char *name, size_t name_length,
                         const void *reply, size_t reply_length);

/* Drops the entry of `name` in `parent`; returns the lookups answered from it (0 if none held). */
uint32_t held_entries_drop(struct held_entries *entries, uint64_t parent, const char *name, size_t name_length);

/*
 * The entry held for `name` in `parent`; NULL when none, or when its count of lookups is full
 * (the lookup then goes to JavaScript, which counts in numbers).
 */
struct held_entry *held_entries_find(struct held_entries *entries, uint64_t parent, const char *name,
                                     size_t name_length);

/* The reply an entry holds; `reply_length` receives its length. */
const void *held_entry_reply(const struct held_entry *entry, size_t *reply_length);

/* Counts a lookup answered from `entry`, once the kernel took the reply. */
void held_entry_answered(struct held_entry *entry);

#endif
