/*
 * chips.h - the chip catalog (data/chips.yaml).
 *
 * Whether compute is domestic, and how it compares with an H100, comes from
 * this catalog, never from the applicant. A catalog is loaded once and is
 * read-only afterwards.
 *
 * File format:
 *   chips:
 *     - id: ascend-910c            # lowercase id used in applications
 *       name: Huawei Ascend 910C
 *       vendor: Huawei
 *       domestic: true
 *       h100_ratio: "0.65"         # throughput relative to an H100, up to 4 decimals
 *       source: "analysts, as reported in the press, 2025"
 *       note: "..."                # optional: the basis of an estimate
 *       ref_price_per_h100_hour: "14.00"  # optional group: yuan per
 *       ref_price_on: 2025-06-30          #   H100-equivalent hour, the date
 *       ref_price_source: "..."           #   it was true, where it is from
 *       ref_price_assumption: "..."       #   and, for an estimate, why
 *
 * The reference price is a market price for one H100-equivalent hour of the
 * chip (the hourly price of one accelerator divided by its h100_ratio), for
 * comparing a contract's price with the market. It is optional, but when
 * ref_price_per_h100_hour is given, ref_price_on and ref_price_source must
 * be too; ref_price_assumption marks an estimate. Money is a decimal string,
 * read exactly.
 */
#ifndef QUAN_CHIPS_H
#define QUAN_CHIPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/date.h"
#include "core/money.h"
#include "policy/diag.h"

struct chip {
	char *id;
	char *name;
	char *vendor;
	bool domestic;
	int32_t h100_bp; /* throughput relative to an H100 in bp: 6500 = 0.65 */
	char *source;
	char *note; /* how an estimated ratio was reached; may be NULL */
	/* Reference market price per H100-equivalent hour, in fen; -1 when
	 * the catalog gives none (then the three below are 0 / NULL). */
	money_t ref_price_per_h100_hour;
	qdate ref_price_on;
	char *ref_price_source;
	char *ref_price_assumption; /* set when the price is an estimate */
	size_t id_len;		    /* strlen(id), for chips_find */
	uint64_t id_head, id_tail;  /* its first and last eight bytes */
};

/* The catalog: its chips in file order, and a hashed index of their ids
 * (chips_find) built when it loads: index[h & index_mask] is the position
 * of a chip in chips, CHIPS_NO_SLOT when empty, the next slot tried on a
 * collision. index is NULL only before the catalog is complete, and then
 * chips_find reads the chips in order. */
#define CHIPS_NO_SLOT UINT16_MAX
struct chip_catalog {
	struct chip *chips;
	size_t n;
	uint16_t *index;
	size_t index_mask; /* a power of two less one, at least 2n - 1 */
};

/* Load a catalog from path. Every problem goes to d as file:line:col;
 * returns 0 or Q_ERR_POLICY / Q_ERR_IO. On success the caller owns *out and
 * frees it with chips_free(). */
int chips_load(const char *path, struct chip_catalog **out,
	       struct diag_list *d);

/* Same from a buffer; name is used in diagnostics. */
int chips_load_buf(const char *name, const char *buf, size_t len,
		   struct chip_catalog **out, struct diag_list *d);

/* The chip with this id (len bytes), or NULL. */
const struct chip *chips_find(const struct chip_catalog *c, const char *id,
			      size_t len);

void chips_free(struct chip_catalog *c);

#endif
