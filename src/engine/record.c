#include "engine/record.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* The most an encoded decision can take without the flags' JSON: every
 * array full, every number at 20 digits and a sign. */
#define RECORD_FIGURES_MAX                                                     \
	(256 + DECISION_MAX_REASONS * 12 + DECISION_MAX_CAPS * 48 +            \
	 DECISION_MAX_TRACE * 40 + DECISION_MAX_FLAGS * 120 +                  \
	 DECISION_MAX_FUNDERS * 36)

/* Write v in decimal at *p and move *p past it. */
static void put_int(char **p, int64_t v)
{
	char tmp[24];
	int n = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*(*p)++ = '-';
	while (n)
		*(*p)++ = tmp[--n];
}

static void put_field(char **p, char key, int64_t v)
{
	*(*p)++ = ' ';
	*(*p)++ = key;
	put_int(p, v);
}

int record_encode(const struct decision *d, const struct history *h,
		  const char *flags_json, char **out, struct qerr *e)
{
	size_t extra = flags_json ? strlen(flags_json) + 1 : 0;
	char *buf = malloc(RECORD_FIGURES_MAX + extra + 1);
	char *p = buf;

	assert(d && h && out);
	assert(d->ntrace <= DECISION_MAX_TRACE &&
	       d->nreasons <= DECISION_MAX_REASONS);
	*out = NULL;
	if (!buf)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	memcpy(p, "Q1", 2);
	p += 2;
	put_field(&p, 'm', d->measure);
	put_field(&p, 'e', d->eligible);
	put_field(&p, 'r', d->rate);
	put_field(&p, 'k', d->rate_rule);
	put_field(&p, 'b', d->base);
	put_field(&p, 'g', d->gross);
	put_field(&p, 'a', d->amount);
	put_field(&p, 'u', d->review_up_to);
	put_field(&p, 'w', d->yearly_caps_without_history);
	put_field(&p, 'd', d->params_date);
	put_field(&p, 't', d->trace_truncated);
	put_field(&p, 'h', h->awarded_year);
	*p++ = ':';
	put_int(&p, h->compute_contracts_year);
	/* The supplier's named lists, when they were looked up. */
	if (h->lists_known)
		put_field(&p, 'L', (int64_t)h->supplier_lists);
	for (uint16_t i = 0; i < d->nreasons; i++) {
		*p++ = i ? ',' : ' ';
		if (!i)
			*p++ = 'R';
		put_int(&p, d->reasons[i]);
	}
	for (uint16_t i = 0; i < d->ncaps; i++) {
		*p++ = i ? ',' : ' ';
		if (!i)
			*p++ = 'C';
		put_int(&p, d->caps[i].rule);
		*p++ = ':';
		put_int(&p, d->caps[i].limit);
		*p++ = ':';
		put_int(&p, d->caps[i].cut);
	}
	for (uint16_t i = 0; i < d->ntrace; i++) {
		*p++ = i ? ',' : ' ';
		if (!i)
			*p++ = 'T';
		put_int(&p, d->trace[i].rule);
		*p++ = ':';
		put_int(&p, d->trace[i].outcome);
		*p++ = ':';
		put_int(&p, d->trace[i].value);
	}
	for (uint16_t i = 0; i < d->nflags; i++) {
		const struct decision_flag *f = &d->flags[i];

		*p++ = i ? ',' : ' ';
		if (!i)
			*p++ = 'F';
		put_int(&p, f->kind);
		*p++ = ':';
		put_int(&p, f->rule);
		*p++ = ':';
		put_int(&p, f->limit);
		*p++ = ':';
		put_int(&p, f->hard_limit);
		*p++ = ':';
		put_int(&p, f->above);
		*p++ = ':';
		put_int(&p, f->up_to);
	}
	for (uint16_t i = 0; i < d->nfunders; i++) {
		*p++ = i ? ',' : ' ';
		if (!i)
			*p++ = 'S';
		put_int(&p, d->funders[i].rule);
		*p++ = ':';
		put_int(&p, d->funders[i].amount);
	}
	assert((size_t)(p - buf) < RECORD_FIGURES_MAX);
	if (flags_json) {
		*p++ = '\n';
		memcpy(p, flags_json, extra - 1);
		p += extra - 1;
	}
	*p = '\0';
	*out = buf;
	return Q_OK;
}

bool record_is(const char *text)
{
	return text && text[0] == 'Q' && text[1] == '1' &&
	       (text[2] == ' ' || text[2] == '\0' || text[2] == '\n');
}

/* The reader: a position in the text and the error to report. */
struct rd {
	const char *p;
	struct qerr *e;
	int rc;
};

static int bad(struct rd *r, const char *what)
{
	if (!r->rc)
		r->rc = qerr_set(
			r->e, Q_ERR_INVALID, "decision",
			"decision: the stored record is malformed (%s)", what);
	return r->rc;
}

/* A decimal integer in [lo, hi]. */
static int64_t get_int(struct rd *r, int64_t lo, int64_t hi)
{
	bool neg = false;
	uint64_t u = 0;
	int digits = 0;
	int64_t v;

	if (*r->p == '-') {
		neg = true;
		r->p++;
	}
	while (*r->p >= '0' && *r->p <= '9') {
		if (++digits > 19) {
			bad(r, "a number too long");
			return lo;
		}
		u = u * 10 + (uint64_t)(*r->p++ - '0');
	}
	if (!digits || u > (uint64_t)INT64_MAX) {
		bad(r, "a number expected");
		return lo;
	}
	v = neg ? -(int64_t)u : (int64_t)u;
	if (v < lo || v > hi) {
		bad(r, "a number out of range");
		return lo;
	}
	return v;
}

static void expect(struct rd *r, char c)
{
	if (*r->p != c) {
		bad(r, "a separator expected");
		return;
	}
	r->p++;
}

/* Whether a list goes on: a ',' was read. */
static bool more(struct rd *r)
{
	if (*r->p != ',')
		return false;
	r->p++;
	return true;
}

static void read_list(struct rd *r, char key, struct decision *d)
{
	uint16_t n = 0;

	do {
		switch (key) {
		case 'R':
			if (n == DECISION_MAX_REASONS)
				goto full;
			d->reasons[n++] = (uint32_t)get_int(r, 0, UINT32_MAX);
			d->nreasons = n;
			break;
		case 'C':
			if (n == DECISION_MAX_CAPS)
				goto full;
			d->caps[n].rule = (uint32_t)get_int(r, 0, UINT32_MAX);
			expect(r, ':');
			d->caps[n].limit = get_int(r, INT64_MIN + 1, INT64_MAX);
			expect(r, ':');
			d->caps[n++].cut = get_int(r, INT64_MIN + 1, INT64_MAX);
			d->ncaps = n;
			break;
		case 'T':
			if (n == DECISION_MAX_TRACE)
				goto full;
			d->trace[n].rule = (uint32_t)get_int(r, 0, UINT32_MAX);
			expect(r, ':');
			d->trace[n].outcome =
				(uint8_t)get_int(r, 0, TRACE_SHARE);
			expect(r, ':');
			d->trace[n++].value =
				get_int(r, INT64_MIN + 1, INT64_MAX);
			d->ntrace = n;
			break;
		case 'F':
			if (n == DECISION_MAX_FLAGS)
				goto full;
			d->flags[n].kind =
				(uint8_t)get_int(r, 0, FLAG_SOFT_CAP_EXCEEDED);
			expect(r, ':');
			d->flags[n].rule = (uint32_t)get_int(r, 0, UINT32_MAX);
			expect(r, ':');
			d->flags[n].limit =
				get_int(r, INT64_MIN + 1, INT64_MAX);
			expect(r, ':');
			d->flags[n].hard_limit =
				get_int(r, INT64_MIN + 1, INT64_MAX);
			expect(r, ':');
			d->flags[n].above =
				get_int(r, INT64_MIN + 1, INT64_MAX);
			expect(r, ':');
			d->flags[n++].up_to =
				get_int(r, INT64_MIN + 1, INT64_MAX);
			d->nflags = n;
			break;
		default: /* 'S' */
			if (n == DECISION_MAX_FUNDERS)
				goto full;
			d->funders[n].rule =
				(uint32_t)get_int(r, 0, UINT32_MAX);
			expect(r, ':');
			d->funders[n++].amount =
				get_int(r, INT64_MIN + 1, INT64_MAX);
			d->nfunders = n;
			break;
		}
	} while (!r->rc && more(r));
	return;
full:
	bad(r, "a list too long");
}

int record_decode(const char *text, struct decision *d, struct history *h,
		  const char **flags_json, struct qerr *e)
{
	struct rd r = {text, e, Q_OK};
	unsigned seen = 0;

	assert(d && h && flags_json);
	memset(d, 0, sizeof(*d));
	memset(h, 0, sizeof(*h));
	*flags_json = NULL;
	if (!record_is(text))
		return bad(&r, "not a record");
	r.p += 2;
	h->from_db = true;
	while (!r.rc && *r.p == ' ') {
		char key = r.p[1];
		const char *at = strchr("mekrbgauwdthRCTFSL", key);
		unsigned bit;

		r.p += 2;
		if (!key || !at)
			return bad(&r, "an unknown field");
		bit = 1u << (at - "mekrbgauwdthRCTFSL");
		if (seen & bit)
			return bad(&r, "a field twice");
		seen |= bit;
		switch (key) {
		case 'm':
			d->measure = (int32_t)get_int(&r, -1, INT32_MAX);
			break;
		case 'e':
			d->eligible = get_int(&r, 0, 1) != 0;
			break;
		case 'r':
			d->rate = (rate_bp)get_int(&r, 0, INT32_MAX);
			break;
		case 'k':
			d->rate_rule = (int32_t)get_int(&r, -1, INT32_MAX);
			break;
		case 'b':
			d->base = get_int(&r, INT64_MIN + 1, INT64_MAX);
			break;
		case 'g':
			d->gross = get_int(&r, INT64_MIN + 1, INT64_MAX);
			break;
		case 'a':
			d->amount = get_int(&r, INT64_MIN + 1, INT64_MAX);
			break;
		case 'u':
			d->review_up_to = get_int(&r, INT64_MIN + 1, INT64_MAX);
			break;
		case 'w':
			d->yearly_caps_without_history = get_int(&r, 0, 1) != 0;
			break;
		case 'd':
			d->params_date =
				(qdate)get_int(&r, INT32_MIN, INT32_MAX);
			break;
		case 't':
			d->trace_truncated =
				(uint16_t)get_int(&r, 0, UINT16_MAX);
			break;
		case 'h':
			h->awarded_year = get_int(&r, INT64_MIN + 1, INT64_MAX);
			expect(&r, ':');
			h->compute_contracts_year =
				get_int(&r, INT64_MIN + 1, INT64_MAX);
			break;
		case 'L':
			h->lists_known = true;
			h->supplier_lists = (uint64_t)get_int(
				&r, 0, ((int64_t)1 << POLICY_MAX_LISTS) - 1);
			break;
		default:
			read_list(&r, key, d);
			break;
		}
	}
	if (r.rc)
		return r.rc;
	/* The figures every record has. */
	if ((seen & 0xfffu) != 0xfffu)
		return bad(&r, "a field missing");
	if (*r.p == '\n')
		*flags_json = r.p + 1;
	else if (*r.p)
		return bad(&r, "trailing text");
	return Q_OK;
}

bool record_fits(const struct decision *d, const struct policy *p)
{
	size_t nr = p->nrules;

	if (d->measure < 0 || (size_t)d->measure >= p->nmeasures)
		return false;
	if (d->rate_rule >= 0 && (size_t)d->rate_rule >= nr)
		return false;
	for (uint16_t i = 0; i < d->nreasons; i++)
		if (d->reasons[i] >= nr)
			return false;
	for (uint16_t i = 0; i < d->ncaps; i++)
		if (d->caps[i].rule >= nr)
			return false;
	for (uint16_t i = 0; i < d->ntrace; i++)
		if (d->trace[i].rule >= nr)
			return false;
	for (uint16_t i = 0; i < d->nflags; i++)
		if (d->flags[i].rule >= nr)
			return false;
	for (uint16_t i = 0; i < d->nfunders; i++)
		if (d->funders[i].rule >= nr)
			return false;
	return true;
}
