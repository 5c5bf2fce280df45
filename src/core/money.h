/*
 * money.h - amounts of money and rates, exactly.
 *
 * Money is an integer number of fen (0.01 yuan) in an int64_t. Every
 * operation is checked: an overflow is an error (Q_ERR_OVERFLOW), never a
 * wrap. Text in and out is decimal yuan with at most two decimals
 * ("600000000.00"). Rates are basis points (1 % = 100 bp).
 *
 * The one rounding rule of quan lives in money_scale(): a product of an
 * amount and a fraction is rounded down (toward minus infinity) to the fen.
 * Everything that multiplies money by a rate or a ratio goes through it.
 */
#ifndef QUAN_MONEY_H
#define QUAN_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef int64_t money_t; /* fen */
typedef int32_t rate_bp; /* basis points: 10000 = 100 % */

#define MONEY_FEN_PER_YUAN 100
#define RATE_BP_ONE 10000
/* Longest text money_format() writes, with the terminating NUL. */
#define MONEY_TEXT_MAX 24
#define RATE_TEXT_MAX 16

/* Parse decimal yuan: digits, optionally '.' and one or two digits. No sign,
 * no exponent, no spaces, no leading '+'. "-5.00" is refused as negative.
 * len is the length of s (it need not be NUL-terminated). field names the
 * input in the error message. */
int money_parse(const char *s, size_t len, money_t *out, const char *field,
		struct qerr *e);

/* Write m as yuan with exactly two decimals ("-0.05" for -5 fen) into buf
 * (at least MONEY_TEXT_MAX bytes). Returns buf. */
char *money_format(money_t m, char *buf);

int money_add(money_t a, money_t b, money_t *out);
int money_sub(money_t a, money_t b, money_t *out);
int money_mul_int(money_t a, int64_t k, money_t *out);

/* The rounding rule: *out = floor(a * num / den), den > 0, computed without
 * intermediate overflow. Q_ERR_OVERFLOW if the result does not fit,
 * Q_ERR_INVALID if den <= 0. */
int money_scale(money_t a, int64_t num, int64_t den, money_t *out);

/* amount x rate, rounded down to the fen (money_scale with den 10000). */
int money_apply_rate(money_t a, rate_bp r, money_t *out);

static inline money_t money_min(money_t a, money_t b)
{
	return a < b ? a : b;
}
static inline money_t money_max(money_t a, money_t b)
{
	return a > b ? a : b;
}

/* Parse a rate written as a percentage with at most two decimals ("30%",
 * "12.5%", "100%"); the '%' is required. Range 0 %..1000 %. */
int rate_parse(const char *s, size_t len, rate_bp *out, const char *field,
	       struct qerr *e);

/* Parse a rate as a person gives one for an approval, the same in the CLI
 * and the API: a percentage as rate_parse reads it ("20%", "12.5%"), or
 * whole basis points ("2000", the CLI's older form). Range 0..10000 basis
 * points (0 %..100 %): an award is never above its base. */
int rate_parse_given(const char *s, size_t len, rate_bp *out, const char *field,
		     struct qerr *e);

/* Write r as a percentage ("30%", "12.5%", "0.05%") into buf (RATE_TEXT_MAX). */
char *rate_format(rate_bp r, char *buf);

#endif
