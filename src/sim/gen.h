/*
 * gen.h - synthetic applications for the Shanghai 2025 program, for the
 * benchmarks, the demo and the tests.
 *
 * A generator is a seed, a set of applicants and suppliers made from it
 * (distinct USCCs with valid check characters, distinct controllers, so no
 * supplier is a related party of an applicant) and a few options. Its
 * application number i is a pure function of the generator and i: the same
 * seed and options give the same text for i whatever was generated before,
 * so several threads or processes can each generate a share of the numbers.
 *
 * By default every application is eligible under policies/shanghai-2025.yaml
 * (compute-rent, model or corpus, submitted inside the window, signed in
 * fiscal year 2025) and small enough that about 100 000 of them fit in the
 * pools. Its client_ref is "<prefix><i, 7 digits or more>", unique per i;
 * the contract number is "HT-" and the reference. The text carries no
 * time: gen_received_at gives the time at which application i arrives, for
 * the office's clock (or an import) to stamp. Options spread arrivals evenly
 * over a range of days in the order of i (a queue that arrives over time),
 * and make a share of the applications ineligible (a firm registered
 * elsewhere, a rent that names no compute, a recent dishonesty record) or large (at
 * or near the per-contract caps), so that the pools run dry.
 *
 * Every applicant and supplier has a name of its own, made from its index
 * (a city, a two-character trade name and a line of business, as in
 * 上海星启智能科技有限公司), so that a list of generated applications reads
 * like a real round; the names draw nothing from the random stream. With
 * typical_sizes set, the contracts that are not large are drawn from the
 * sizes the Shanghai measures fund (rent 100 k .. 5 M yuan, model 50 k ..
 * 3 M, corpus 30 k .. 2 M: no award below 9 000 yuan) instead of the small
 * default sizes that let 100 000 applications fit in the pools; the draws
 * are the same, only their range differs.
 *
 * The generator owns no heap memory: a struct gen is a plain value (about
 * 300 KiB, so allocate it rather than put it on a small stack).
 */
#ifndef QUAN_GEN_H
#define QUAN_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/date.h"
#include "core/uscc.h"
#include "engine/app.h"

#define GEN_PARTIES 4096
#define GEN_PREFIX_MAX 24 /* bytes of an id prefix, without the NUL */
#define GEN_APP_MAX 2048  /* every generated application fits in this */
#define GEN_DEFAULT_PREFIX "SH-2025-"
#define GEN_NAME_MAX 96 /* bytes of a generated firm's name, with the NUL */

/* What gen_init leaves, and what a caller may change before generating
 * (gen_set_prefix for the prefix). Percentages are 0..100. */
struct gen_options {
	/* Arrival: when spread_count > 0, application i arrives at
	 * first_day 00:00 (Shanghai time) + i x (days x 86400) / spread_count
	 * seconds plus a jitter below one step, so the numbers 0 ..
	 * spread_count - 1 arrive in order over the days; when 0 (default),
	 * at a random second of a random day of the range. */
	qdate first_day; /* default 2025-08-01 */
	int days;	 /* default 151 (to 2025-12-29) */
	uint64_t spread_count;
	int ineligible_pct; /* default 0; drawn at random */
	int large_pct;	    /* default 0; evenly spaced: exactly pct of 100 */
	int typical_sizes;  /* default 0: small contracts; 1: typical sizes */
};

/* A generator: the seed, the parties made from it, the options. */
struct gen {
	uint64_t seed;
	struct gen_options opt;
	char prefix[GEN_PREFIX_MAX + 1];
	char app_uscc[GEN_PARTIES][USCC_LEN + 1];
	char app_ctrl[GEN_PARTIES][19];
	char sup_uscc[GEN_PARTIES][USCC_LEN + 1];
	char sup_ctrl[GEN_PARTIES][19];
	/* Made once with the parties, for gen_fill: each party's kind
	 * (uscc_kind_of its USCC), and the first and last days the options
	 * may reach (options_ok). */
	uint8_t app_kind[GEN_PARTIES], sup_kind[GEN_PARTIES];
	qdate day_min, day_max;
	/* 1 January of DATE_MIN_YEAR + k, for the year a contract is signed
	 * in without date_to_ymd on every application. */
	qdate jan1[DATE_MAX_YEAR - DATE_MIN_YEAR + 2];
};

/* Make the parties for seed and set the default options and prefix
 * (GEN_DEFAULT_PREFIX). Returns 0; nothing to release. */
int gen_init(struct gen *g, uint64_t seed);

/* Set the id prefix (copied): letters, digits, '-' and '_', at most
 * GEN_PREFIX_MAX bytes. Q_ERR_INVALID otherwise, the prefix unchanged. */
int gen_set_prefix(struct gen *g, const char *prefix);

/* The time (epoch seconds) at which application i arrives, as the options
 * spread arrivals; its contract is signed on or before that day.
 * Q_ERR_INVALID when the options are out of range. */
int gen_received_at(const struct gen *g, uint64_t i, int64_t *at);

/* The name of generated applicant (supplier false) or supplier number k
 * (k < GEN_PARTIES), registered in city ("shanghai", "hangzhou", ...), into
 * buf (GEN_NAME_MAX bytes). Distinct for distinct k of one kind, and the
 * same for every seed. */
void gen_party_name(int k, bool supplier, const char *city, char *buf);

/* Write application number i as JSON text into buf (n bytes, GEN_APP_MAX
 * is always enough), NUL-terminated; *len gets its length without the NUL.
 * Q_ERR_INVALID when the options are out of range (days < 1, first_day or
 * the spread outside 1900..2200, percentages outside 0..100),
 * Q_ERR_TOO_LARGE when n is too small. */
int gen_application(const struct gen *g, uint64_t i, char *buf, size_t n,
		    size_t *len);

/* The parsed form, without text: what app_parse_json would give for
 * gen_application's text of the same i, with strings borrowed from the
 * generator, a struct gen_names and the struct gen_app itself. The
 * simulator decides it directly, so a population is never printed and
 * parsed again. */
#define GEN_REF_MAX (GEN_PREFIX_MAX + 3 + 21) /* "HT-" prefix digits NUL */

/* Every generated party's name, made once: gen_party_name for applicants
 * registered in each city the generator uses, and for suppliers. About
 * 1.5 MiB: allocate it. */
struct gen_names {
	char applicant[3][GEN_PARTIES][GEN_NAME_MAX];
	char supplier[GEN_PARTIES][GEN_NAME_MAX];
};

/* One generated application: a is valid while this struct, the generator
 * and the names live, and until the next gen_fill into it. Nothing to
 * release. */
struct gen_app {
	struct application a;
	char ref[GEN_REF_MAX];
	char number[GEN_REF_MAX];
	const char *app_ctrl, *sup_ctrl;
};

/* Fill nm for g. Returns 0. */
int gen_names_init(const struct gen *g, struct gen_names *nm);

/* Application number i of g, as gen_application writes it, into *out (not
 * yet received: app_receive at gen_received_at, as for the text).
 * Q_ERR_INVALID when the options are out of range. */
int gen_fill(const struct gen *g, const struct gen_names *nm, uint64_t i,
	     struct gen_app *out);

#endif
