/*
 * render.h - a decision in words and in JSON.
 *
 * Decisions hold rule indices; this is where they become text, only when a
 * person or a program reads them. No I/O: the caller prints.
 */
#ifndef QUAN_RENDER_H
#define QUAN_RENDER_H

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"
#include "engine/app.h"
#include "engine/decide.h"
#include "policy/policy.h"

/* The decision as DESIGN.md shows it: application, policy (hash),
 * eligible, measure, rate_bp, rate, base, gross, amount, caps, reasons,
 * flags, trace, and a note when yearly caps counted this contract alone.
 * Returns a new reference (the caller json_decref()s it), or NULL when out
 * of memory. */
json_t *render_decision_json(const struct policy *p,
			     const struct application *a,
			     const struct decision *d);

/* {"error": {"code": ..., "message": ..., "field": ...}}; new reference. */
json_t *render_error_json(const struct qerr *e);

/* One line of plain words for a trace entry ("rate 30% chosen: 30% of the
 * rent"), written into buf of size n. Returns buf. */
char *render_trace_words(const struct policy *p, const struct trace_entry *t,
			 char *buf, size_t n);

/* The same in Chinese ("比例 30% 采用：..."), with the rule's says_zh (its
 * English says when the policy gives no Chinese). Returns buf. */
char *render_trace_words_zh(const struct policy *p, const struct trace_entry *t,
			    char *buf, size_t n);

/* "policies/shanghai-2025.yaml:41:7" for rule r, into buf of size n. */
char *render_rule_at(const struct policy *p, uint32_t r, char *buf, size_t n);

#endif
