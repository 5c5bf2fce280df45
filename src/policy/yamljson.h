/*
 * yamljson.h - a small YAML document as a jansson value, for inputs whose
 * checking is easier over JSON (the comparison's profile and cost table),
 * so one validator serves a YAML file and a JSON request body alike.
 *
 * Mappings become objects, sequences arrays. A plain scalar `true` or
 * `false` becomes a boolean, `null`, `~` or an empty value null, an
 * optionally signed run of digits that fits in 64 bits an integer; every
 * other scalar, and every quoted one, a string (so `1200000.00` stays the
 * exact text "1200000.00": money is never read as a binary fraction).
 * Aliases, tags and nesting deeper than YAMLJSON_MAX_DEPTH are refused.
 */
#ifndef QUAN_YAMLJSON_H
#define QUAN_YAMLJSON_H

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"

#define YAMLJSON_MAX_DEPTH 16

/* Parse buf (len bytes) named `name` in messages. Returns 0 and a new
 * reference in *out, or Q_ERR_INVALID (e says where: "name:line:col:
 * ...") or Q_ERR_NOMEM. */
int yamljson_load(const char *name, const char *buf, size_t len,
		  const char *what, json_t **out, struct qerr *e);

#endif
