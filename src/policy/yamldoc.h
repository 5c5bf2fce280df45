/*
 * yamldoc.h - one YAML document read from a buffer, the way the policy and
 * chip-catalog loaders both need it.
 *
 * libfyaml 0.7 drops bytes that are not UTF-8 from scalars without a word
 * (and can loop on them in a directive), prints its own errors unless told
 * otherwise, and accepts a stream of several documents; yamldoc refuses bad
 * UTF-8 first, collects libfyaml's errors as located diagnostics, and
 * insists on exactly one non-empty document.
 */
#ifndef QUAN_YAMLDOC_H
#define QUAN_YAMLDOC_H

#include <libfyaml.h>
#include <stdbool.h>
#include <stddef.h>

#include "policy/diag.h"

/* A 1-based place in the file; line 0 means "no place". */
struct loc {
	int line, col;
};

/* A loaded document; root is never NULL once yamldoc_load succeeded. */
struct yamldoc {
	struct fy_diag *dg;
	struct fy_parser *fyp;
	struct fy_document *doc;
	struct fy_node *root;
};

/* Load buf (len bytes) as one YAML document. Every problem goes to d as
 * name:line:col; `what` names the file's kind in messages ("a policy
 * file"). Returns 0, Q_ERR_POLICY (problems in d, *nerr counts them) or
 * Q_ERR_NOMEM. Release y with yamldoc_release() whatever the result. */
int yamldoc_load(struct yamldoc *y, const char *name, const char *buf,
		 size_t len, const char *what, struct diag_list *d,
		 size_t *nerr);

void yamldoc_release(struct yamldoc *y);

/* Where a node starts. libfyaml 0.7 gives marks only for tokens, so a
 * collection is placed at its first scalar; an empty one, or an absent
 * value, at the fallback (its key). */
struct loc yamldoc_loc(struct fy_node *n, struct loc fallback);

/* Text from the file, cut to a readable length, with control characters
 * replaced, for quoting in a message. */
struct yamldoc_shown {
	char s[72];
};

struct yamldoc_shown yamldoc_show(const char *s, size_t len);

/* s (len bytes, not NUL-terminated) equals the literal. */
bool yamldoc_text_eq(const char *s, size_t len, const char *lit);

/* n is a mapping, not an alias to one. */
bool yamldoc_is_map(struct fy_node *n);

/* An id: 1..max of a-z, 0-9 and '-', not starting with '-'. */
bool yamldoc_id_ok(const char *s, size_t len, size_t max);

#endif
