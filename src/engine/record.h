/*
 * record.h - a decision as the office stores it: its figures and its trace
 * as rule indices, in a short line of text, rendered to JSON and words only
 * when someone reads it (render.h, office_decision_json).
 *
 * Rendering a decision to JSON with the words of every rule took more of an
 * application's time than deciding it, and made each stored row about 4 KB.
 * A record is a few hundred bytes:
 *
 *   Q1 m<measure> e<0|1> r<rate bp> k<rate rule> b<base> g<gross>
 *      a<amount> u<review up to> w<0|1> d<params date> t<truncated>
 *      h<awarded year>:<compute contracts year> [L<supplier list bits>]
 *      [R<rule>,...] [C<rule>:<limit>:<cut>,...] [T<rule>:<outcome>:<value>,...]
 *      [F<kind>:<rule>:<limit>:<hard>:<above>:<up to>,...] [S<rule>:<amount>,...]
 *   and, when the screens raised flags, a newline and the flags as JSON
 *   (their evidence is text of the office's, kept as rendered).
 *
 * Money is in fen, dates in days since 1970-01-01, rules are indices into
 * the policy version the decision was made under (its hash is stored beside
 * the record). record_decode checks the shape and the bounds of the arrays;
 * whether the indices fit a policy is the renderer's to check
 * (record_fits).
 */
#ifndef QUAN_RECORD_H
#define QUAN_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "engine/decide.h"

/* Encode d, the history it was made with, and the screens' flags as JSON
 * text (NULL: none) into a new malloc'd string (*out; the caller frees).
 * Q_ERR_NOMEM, or Q_OK. */
int record_encode(const struct decision *d, const struct history *h,
		  const char *flags_json, char **out, struct qerr *e);

/* Whether text is a record (rather than a decision stored as JSON by an
 * older version of quan). */
bool record_is(const char *text);

/* Decode a record into *d and *h; *flags_json points into text at the
 * flags' JSON, or is NULL. Q_ERR_INVALID (e says where) when text is not a
 * well-formed record. */
int record_decode(const char *text, struct decision *d, struct history *h,
		  const char **flags_json, struct qerr *e);

/* Whether every index of d fits policy p (measure, rules). */
bool record_fits(const struct decision *d, const struct policy *p);

#endif
