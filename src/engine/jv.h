/*
 * jv.h - a JSON document as a read-only tree, for the application walk
 * (app.c).
 *
 * Two readers build the same tree. jv_read is quick: yajl's event parser
 * (libyajl) builds the tree in an arena, and jv_read keeps it only where
 * jansson (JSON_REJECT_DUPLICATES) would read the same values: objects at
 * the top, strings without \u escapes, whole numbers of up to 18 digits,
 * true, false, null, at most JV_MAX_DEPTH levels and JV_MAX_MEMBERS keys
 * an object; it says JV_UNSURE for anything else, valid or not.
 * jv_from_jansson copies a tree jansson parsed. So a caller reads with
 * jv_read first and, when it is unsure, with jansson, whose verdict and
 * error text then stand: the result never depends on which reader
 * answered (tests/unit/test_jv.c and fuzz/fuzz_jv.c hold the two equal).
 *
 * Every node and string lives in a struct jv_arena, freed at once.
 */
#ifndef QUAN_JV_H
#define QUAN_JV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/err.h"

#define JV_MAX_DEPTH 32	   /* deeper: unsure (app.c refuses it) */
#define JV_MAX_MEMBERS 64  /* keys in one object before unsure */
#define JV_MAX_NODES 16384 /* values in one document before unsure */

enum jv_type {
	JV_OBJECT,
	JV_ARRAY,
	JV_STRING,
	JV_INTEGER,
	JV_REAL, /* only from jansson: jv_read is unsure of fractions */
	JV_TRUE,
	JV_FALSE,
	JV_NULL
};

/* One value. An object's members and an array's items are chained
 * through next in document order, which is jansson's order too; a member
 * carries its key. Strings (and keys) are NUL-terminated, without NUL
 * inside. */
struct jv {
	enum jv_type type;
	size_t n; /* a string's bytes; an object's or array's count */
	const char *key;
	size_t klen;
	const char *s; /* JV_STRING */
	int64_t i;     /* JV_INTEGER */
	struct jv *first, *next;
};

/* The memory owning a tree (core/arena.h), and its count of values. A
 * zeroed one is empty. */
struct jv_arena {
	struct arena mem;
	size_t nodes;
};

/* jv_read's answer when it cannot vouch for the text: ask jansson. Not an
 * error, and outside the error codes (as Q_NONE). */
#define JV_UNSURE 101

/* Read buf (len bytes) into *root, allocated in *a (zeroed by the caller).
 * Returns 0, JV_UNSURE (then a may hold garbage, still to be freed with
 * jv_arena_free) or Q_ERR_NOMEM. */
int jv_read(const char *buf, size_t len, struct jv_arena *a, struct jv **root);

/* Copy jansson's tree j into *root in *a, sharing j's strings (so j must
 * outlive the copy). Returns 0 or Q_ERR_NOMEM. */
int jv_from_jansson(json_t *j, struct jv_arena *a, struct jv **root);

/* Member key of object o, or NULL. */
struct jv *jv_get(const struct jv *o, const char *key);

/* Whether trees x and y hold the same values in the same order. */
bool jv_equal(const struct jv *x, const struct jv *y);

/* Free every node and string of a; it is then empty, as when zeroed. */
void jv_arena_free(struct jv_arena *a);

#endif
