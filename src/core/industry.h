/*
 * industry.h - industry codes of the national classification (国民经济行业
 * 分类, GB/T 4754-2017).
 *
 * A code is a section letter A-T, optionally followed by the 2-digit
 * division, the 3-digit group or the 4-digit class: "C" (manufacturing),
 * "I65" (software and IT services), "I651", "I6510". Each section holds a
 * fixed range of divisions (I: 63-65), so "I66" is not a code. Codes nest
 * by prefix: "I6510" lies within "I65" and within "I".
 */
#ifndef QUAN_INDUSTRY_H
#define QUAN_INDUSTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

#define INDUSTRY_MAX_LEN 5 /* a section letter and a 4-digit class */

/* Check the code s (len bytes). Q_ERR_INVALID with a message naming field
 * and why ("applicant.industry: 'I66': division 66 is not in section I,
 * which holds 63-65"), or Q_OK. */
int industry_check(const char *s, size_t len, const char *field,
		   struct qerr *e);

/* Whether the well-formed code lies within the well-formed code within
 * ("I6510" within "I65": true; "I65" within "I651": false). */
bool industry_within(const char *code, const char *within);

/* A code of the classification with its names, for choosing one. */
struct industry_name {
	const char *code; /* "I65" */
	const char *zh;	  /* "软件和信息技术服务业" */
	const char *en;	  /* "Software and information technology services" */
};

/* The codes offered where a person picks an industry: the twenty sections
 * A-T of GB/T 4754-2017 and the divisions the bundled programs name (I63,
 * I64, I65 in Beijing's rule) or that AI firms usually register under
 * (C39, M73-M75), in code order. Every code passes industry_check. Sets
 * *out to the static table and returns its length. */
size_t industry_names(const struct industry_name **out);

#endif
