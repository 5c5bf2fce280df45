/*
 * compare.h - the applicant's comparison: one firm's planned year under
 * every city's program, side by side (docs/compare.md).
 *
 * A profile describes the firm (USCC, name, SME, start-up, registered
 * model, head count, office space) and its plan for one year: compute to
 * rent, buy or build, model API spend, corpus purchases, electricity. For
 * each program the comparison builds the applications the plan implies,
 * one per item and measure that accepts the item's contract kind, with the
 * applicant registered in the program's city and an unrelated supplier
 * listed on the city's platform with its compute in the city; it decides
 * them with decide() (the same path as `quan estimate`), counts for each
 * item the measure that pays most (one claim per contract), and adds the
 * firm's operating costs there from the cost table (data/costs.yaml):
 *
 *   net cost = planned spend + operating costs - subsidies
 *
 * Cities are ranked by net cost (ties by program id) and the result says
 * why the first beats the second. Everything is integer fen; every sum and
 * product is checked. Yearly caps per applicant count the plan's earlier
 * items under the same measure (the plan is the applicant's history).
 *
 * No I/O: the caller reads the files and prints.
 */
#ifndef QUAN_COMPARE_H
#define QUAN_COMPARE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/date.h"
#include "core/err.h"
#include "core/money.h"
#include "policy/chips.h"
#include "policy/policy.h"

#define COSTS_MAX_BYTES (1u << 20)
#define COSTS_MAX_CITIES 64
#define COSTS_MAX_PROGRAMS 8 /* programs of one city */
#define PROFILE_MAX_BYTES (256u << 10)
#define PROFILE_MAX_ITEMS 16 /* purchases in one plan */
#define PROFILE_MAX_TEXT 256
#define COMPARE_MAX_PROGRAMS 32

/* One figure of the cost table: an amount in fen per unit, with where it
 * comes from. assumption is set (not NULL) when the figure is not a
 * published one; then it says how it was reached. */
struct cost_figure {
	money_t amount;
	char *published_as;  /* the figure as published, may be NULL */
	char *source;	     /* never NULL */
	char *url;	     /* may be NULL */
	char *as_of;	     /* the date or period it stands for, never NULL */
	char *assumption;    /* may be NULL */
	char *assumption_zh; /* the same in Chinese; set when assumption is */
};

/* A city's operating costs and the programs that fund firms there. id is
 * what an application says in applicant.registered_city and
 * contract.compute.location. */
struct cost_city {
	char *id, *name, *name_zh;
	char *programs[COSTS_MAX_PROGRAMS];
	size_t nprograms;
	struct cost_figure rent;	/* office rent, per m2 per year */
	struct cost_figure salary;	/* one AI engineer, per year */
	struct cost_figure electricity; /* industrial power, per MWh */
};

struct cost_table {
	struct cost_city *cities;
	size_t n;
};

/* Read a cost table (YAML; format in data/costs.yaml and docs/compare.md).
 * Unknown keys, missing sources and bad money are errors naming the field
 * ("cities[2].rent.source"). Returns 0 and *out (free it with
 * costs_free), or an error with e filled. */
int costs_load_buf(const char *name, const char *buf, size_t len,
		   struct cost_table **out, struct qerr *e);
void costs_free(struct cost_table *t);

/* The city whose programs include program, or NULL. */
const struct cost_city *costs_city_of(const struct cost_table *t,
				      const char *program);

/* One purchase of the plan: a contract the firm means to sign. */
struct profile_item {
	char label[24]; /* "compute[0]", "models[1]", "corpus[0]" */
	enum contract_kind kind;
	money_t value;
	int64_t term_months;
	bool uses_registered_model;
	bool has_compute;
	char chip[64];
	int64_t accelerators, hours;
};

/* A firm and its planned year. */
struct profile {
	char uscc[20];
	char name[PROFILE_MAX_TEXT];
	char industry[16];
	bool sme, startup, registered_model;
	int64_t head_count, office_m2, electricity_kwh;
	qdate signed_on; /* every contract of the plan is signed on this day */
	struct profile_item items[PROFILE_MAX_ITEMS];
	size_t nitems;
};

/* Check a profile given as JSON (the body of POST /v1/compare) and fill
 * *out. Unknown fields, money given as a JSON number, a bad USCC or date
 * and a value that does not add up are errors naming the field
 * ("plan.compute[0].chip"). */
int profile_from_json(json_t *j, struct profile *out, struct qerr *e);

/* The same from a YAML (or JSON) file's bytes; name is used in messages. */
int profile_load_buf(const char *name, const char *buf, size_t len,
		     struct profile *out, struct qerr *e);

/* Compare the profile under each of the n policies (n at most
 * COMPARE_MAX_PROGRAMS). *out gets a new reference:
 *   {firm, signed_on, cities: [ranked: {rank, program, program_name,
 *    city, city_name, city_name_zh, planned_spend, subsidies,
 *    operating_costs, net_cost, costs: {office, salaries, electricity},
 *    items: [{item, kind, value, measure, subsidy, decisions: [...]}]}],
 *    winner, why: {...}, richest, cheapest, notes: [...]}
 * with money as decimal yuan strings (docs/compare.md). Errors:
 * Q_ERR_INVALID when a program has no city in the cost table,
 * Q_ERR_UNKNOWN_CHIP, Q_ERR_DECISION, Q_ERR_OVERFLOW, Q_ERR_NOMEM. */
int compare_run(const struct profile *pr, const struct policy *const *policies,
		size_t n, const struct chip_catalog *chips,
		const struct cost_table *costs, json_t **out, struct qerr *e);

#endif
