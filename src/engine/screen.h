/*
 * screen.h - the screens that run on every application before it is
 * decided: related party, duplicate claim, contract splitting, price
 * reasonableness, restricted lists and compute region.
 *
 * Each screen the policy runs (policy_measure.screens) either passes or
 * raises a named flag with its evidence. The policy says what a flag does:
 * SCREEN_REVIEW sends the application to a reviewer with the flag (the
 * decision itself stays as the rules give it), SCREEN_BLOCK makes it not
 * eligible with the screen's rule as the reason (screen_block), so nothing
 * is reserved.
 *
 * The engine does no I/O: what a screen needs to know of other contracts,
 * of the registry of controllers and of the imported lists it asks through
 * struct screen_io, which the office backs with its store. Without an io
 * (an estimate, a policy test) only the screens that read the application
 * alone run: related party (as the application declares its parties),
 * price and compute region.
 */
#ifndef QUAN_SCREEN_H
#define QUAN_SCREEN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/date.h"
#include "core/err.h"
#include "core/money.h"
#include "engine/app.h"
#include "engine/decide.h"
#include "policy/fields.h"
#include "policy/policy.h"

#define SCREEN_MAX_FLAGS 12	  /* one per screen, one per list hit */
#define SCREEN_MAX_REFS 8	  /* earlier contracts named per flag */
#define SCREEN_MAX_CONTROLLERS 64 /* registry entries read per firm */
#define SCREEN_TEXT 128		  /* bytes of a name, reason or source */

/* An earlier contract as evidence: the application that claimed it. */
struct screen_contract {
	char app[64];
	char program[64];
	char number[64]; /* cut if longer; matching uses the full text */
	money_t value;
	qdate signed_on;
};

/* The contract being screened, as the lookups take it. */
struct screen_query {
	const char *app_id;
	const char *applicant, *supplier; /* USCCs */
	const char *number;
	money_t value;
	qdate signed_on;
};

/* A controller of a firm according to the registry. */
struct screen_controller {
	char id[64];
	char source[SCREEN_TEXT];
};

/* A firm's entry on an imported list. */
struct screen_listing {
	char name[SCREEN_TEXT];
	char reason[SCREEN_TEXT];
	char source[SCREEN_TEXT];
};

/* The office's knowledge, behind callbacks that return Q_OK or a Q_ERR_*
 * with e filled. Any callback may be NULL: the screens that need it do not
 * run. Results are copied into the caller's arrays (at most max; *n gets
 * how many). */
struct screen_io {
	void *ctx;
	/* Earlier contracts (other applications) that are this one: the
	 * same applicant, supplier, number and value; or the same applicant,
	 * supplier and value signed at most days apart. Oldest first. */
	int (*same_contract)(void *ctx, const struct screen_query *q, int days,
			     struct screen_contract *out, size_t max, size_t *n,
			     struct qerr *e);
	/* Contracts between the same applicant and supplier, signed from
	 * `from` to `to` (inclusive), with lo <= value < hi, other than
	 * this application and other than contracts with this one's number
	 * (those are the duplicate-claim screen's). Up to max of them oldest
	 * first; *count and *sum over all of them. */
	int (*between)(void *ctx, const struct screen_query *q, qdate from,
		       qdate to, money_t lo, money_t hi,
		       struct screen_contract *out, size_t max, size_t *n,
		       int64_t *count, money_t *sum, struct qerr *e);
	/* The registry's controllers of a firm. */
	int (*controllers)(void *ctx, const char *uscc,
			   struct screen_controller *out, size_t max, size_t *n,
			   struct qerr *e);
	/* Whether uscc is on list l: 1 (and *out), 0, or -1 with e. */
	int (*listed)(void *ctx, enum screen_list l, const char *uscc,
		      struct screen_listing *out, struct qerr *e);
	/* Whether uscc is on the named list `list` (a policy's supplier
	 * list, imported under its id): 1, 0, or -1 with e. */
	int (*listed_in)(void *ctx, const char *list, const char *uscc,
			 struct qerr *e);
};

/* How applicant and supplier are related. */
enum screen_related {
	SCREEN_SAME_USCC,	  /* one firm on both sides */
	SCREEN_SHARED_CONTROLLER, /* a controller of both */
	SCREEN_CONTROLS,	  /* one side is a controller of the other */
};

/* One flag and its evidence; only the fields of its kind are set. */
struct screen_flag {
	uint8_t kind;	/* enum screen_kind */
	uint8_t action; /* SCREEN_REVIEW or SCREEN_BLOCK */
	uint32_t rule;	/* the screen's rule */
	/* related-party */
	uint8_t how; /* enum screen_related */
	char controller[64];
	char applicant_from
		[SCREEN_TEXT]; /* "application" or "registry: <source>" */
	char supplier_from[SCREEN_TEXT];
	/* price */
	money_t price, reference, limit;
	rate_bp factor;
	/* contract-splitting */
	money_t threshold, floor, total;
	int64_t count; /* contracts in the band, this one included */
	int window_days;
	/* restricted-list */
	uint8_t list;  /* enum screen_list */
	uint8_t party; /* 0 applicant, 1 supplier */
	char uscc[20];
	struct screen_listing listing;
	/* compute-region */
	char location[64];
	/* duplicate-claim, contract-splitting: the earlier contracts */
	struct screen_contract refs[SCREEN_MAX_REFS];
	uint8_t nrefs;
};

struct screen_result {
	struct screen_flag flags[SCREEN_MAX_FLAGS];
	uint8_t nflags;
	bool blocked; /* some flag's action is SCREEN_BLOCK */
};

/* The flag name of a screen ("related_party", "duplicate_claim",
 * "contract_splitting", "price_above_reference", "restricted_list",
 * "compute_outside_region"). */
const char *screen_flag_name(enum screen_kind k);

/* Run the screens of measure m of p on application a, whose facts are f
 * (facts_build; only the derived compute price is read). io may be NULL.
 * Returns Q_OK (out filled, maybe without flags) or the error of a
 * lookup. */
int screen_run(const struct policy *p, int m, const struct application *a,
	       const struct facts *f, const struct screen_io *io,
	       struct screen_result *out, struct qerr *e);

/* The named supplier lists of p (policy.lists) that the supplier `uscc` is
 * on, as bits into *bits (bit k: list k), asked through io->listed_in.
 * The office sets them on the history (history.lists_known and
 * supplier_lists) before deciding. Q_ERR_INVALID when io cannot look
 * lists up and p has some; Q_OK with *bits 0 when p has none. */
int screen_supplier_lists(const struct policy *p, const char *uscc,
			  const struct screen_io *io, uint64_t *bits,
			  struct qerr *e);

/* Block a decision by the given screen rules: not eligible, nothing to
 * pay, each rule a reason (and traced as failed). Nothing when n is 0. */
void screen_block(struct decision *d, const uint32_t *rules, size_t n);

/* The same for every blocking flag of r. */
void screen_block_result(struct decision *d, const struct screen_result *r);

/* Append r's flags to the decision JSON (its "flags" array), and mark it
 * "blocked": true when a flag blocked it. Each flag is an object:
 * {"flag", "screen", "action", "rule", "at", "says", "words", "evidence"}.
 * Returns 0, or -1 when out of memory. */
int screen_render_json(const struct policy *p, const struct screen_result *r,
		       json_t *decision);

#endif
