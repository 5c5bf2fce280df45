/*
 * uscc.h - the Unified Social Credit Code (统一社会信用代码, GB 32100-2015).
 *
 * 18 characters from the 31-character set 0-9 A-H J-N P-R T U W-Y (no I, O,
 * S, V, Z): registration authority (1), organisation type (1), administrative
 * division code (6 digits), organisation code (9), check character (1). The
 * check character is 31 - (sum of value(c_i) * 3^(i-1) mod 31) mod 31, over
 * the first 17 characters (weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10
 * 30 28).
 */
#ifndef QUAN_USCC_H
#define QUAN_USCC_H

#include <stddef.h>

#include "core/err.h"

#define USCC_LEN 18

/* Check s (len bytes). On failure the message gives the 1-based position of
 * the first wrong character and why, e.g. "applicant.uscc: character 18 of
 * '91310115MA1K4ABCD0' is '0', the check character should be 'D'". */
int uscc_check(const char *s, size_t len, const char *field, struct qerr *e);

/* The check character for the first 17 characters of s, or 0 if one of them
 * is not in the alphabet. Used by tests and by generators of sample data. */
char uscc_check_char(const char *s17);

/* The kind of organisation a USCC registers, from its first two characters
 * (the registration authority and the organisation type). Only these four
 * kinds are told apart; everything else is USCC_KIND_OTHER. */
enum uscc_kind {
	USCC_KIND_ENTERPRISE,  /* 91: 企业 */
	USCC_KIND_INDIVIDUAL,  /* 92: 个体工商户 */
	USCC_KIND_INSTITUTION, /* 12, A1: 事业单位 */
	USCC_KIND_SOCIAL,      /* 51, 52, 53, 59: 社会组织 */
	USCC_KIND_OTHER,
	USCC_KIND__COUNT
};

/* The kind of the USCC s (at least its first two characters are read). */
enum uscc_kind uscc_kind_of(const char *s);

/* "enterprise", "individual", "institution", "social", "other". */
const char *uscc_kind_name(enum uscc_kind k);

/* The kind named s (len bytes), or -1. */
int uscc_kind_lookup(const char *s, size_t len);

#endif
