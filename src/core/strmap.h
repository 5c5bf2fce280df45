/*
 * strmap.h - a map from text keys to fixed-size values, for the checks
 * that walk a table once and look rows up in another (check.c).
 *
 * Open addressing over a power-of-two table that doubles at 3/4 full. A
 * map holds at most `max` keys, given when it is made, so no input can
 * grow it without bound. Keys are copied; each value is `vsize` bytes,
 * zeroed when its key is added. A pointer to a value stays valid until the
 * map is released (values never move when the table grows).
 */
#ifndef QUAN_STRMAP_H
#define QUAN_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

struct strmap_slot;

/* One map. The fields are the module's own. */
struct strmap {
	struct strmap_slot *slots;
	size_t cap, n, max, vsize;
};

/* An empty map of values of vsize bytes holding at most max keys. */
void strmap_init(struct strmap *m, size_t vsize, size_t max);

/* Free every key and value; the map is then empty, as after init. */
void strmap_release(struct strmap *m);

/* The value of key, or NULL when the map does not hold it. */
void *strmap_get(const struct strmap *m, const char *key);

/* The value of key, added (zeroed) when new (*is_new says which); NULL
 * when out of memory or when the map holds max keys already. */
void *strmap_add(struct strmap *m, const char *key, bool *is_new);

/* Call fn on every key and value, in no order, until it returns non-zero
 * (which is returned). */
int strmap_each(const struct strmap *m,
		int (*fn)(void *arg, const char *key, void *val), void *arg);

#endif
