/*
 * columns.c - deciding over columns of facts (columns.h).
 */
#include "engine/columns.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int fact_columns_init(struct fact_columns *c, size_t n)
{
	bool ok = true;

	assert(c);
	memset(c, 0, sizeof(*c));
	if (n == 0 || n > COLUMNS_MAX_ROWS)
		return Q_ERR_TOO_LARGE;
	c->n = n;
	for (int k = 0; k < F__COUNT; k++)
		ok &= (c->col[k] = calloc(n, sizeof(int64_t))) != NULL;
	c->null_mask = calloc(n, sizeof(*c->null_mask));
	c->received_at = calloc(n, sizeof(*c->received_at));
	c->kind = calloc(n, sizeof(*c->kind));
	c->lists_known = calloc(n, sizeof(*c->lists_known));
	c->supplier_lists = calloc(n, sizeof(*c->supplier_lists));
	if (!ok || !c->null_mask || !c->received_at || !c->kind ||
	    !c->lists_known || !c->supplier_lists) {
		fact_columns_release(c);
		return Q_ERR_NOMEM;
	}
	return Q_OK;
}

void fact_columns_release(struct fact_columns *c)
{
	if (!c)
		return;
	for (int k = 0; k < F__COUNT; k++)
		free(c->col[k]);
	free(c->null_mask);
	free(c->received_at);
	free(c->kind);
	free(c->lists_known);
	free(c->supplier_lists);
	memset(c, 0, sizeof(*c));
}

void fact_columns_set(struct fact_columns *c, size_t row, const struct facts *f)
{
	assert(c && f && row < c->n);
	for (int k = 0; k < F__COUNT; k++)
		c->col[k][row] = f->i[k];
	c->null_mask[row] = f->null_mask;
	c->received_at[row] = f->received_at;
	c->kind[row] = f->kind;
	c->lists_known[row] = f->lists_known;
	c->supplier_lists[row] = f->supplier_lists;
}

void fact_columns_get(const struct fact_columns *c, size_t row,
		      const struct policy *p, struct facts *f)
{
	assert(c && p && f && row < c->n);
	for (int k = 0; k < F__COUNT; k++)
		f->i[k] = c->col[k][row];
	f->null_mask = c->null_mask[row];
	f->received_at = c->received_at[row];
	f->kind = c->kind[row];
	f->lists_known = c->lists_known[row] != 0;
	f->supplier_lists = c->supplier_lists[row];
	facts_keys(f, p->string_fields);
}

size_t decide_columns(const struct policy *p, int measure,
		      const struct fact_columns *c, size_t n, bool with_history,
		      struct decision_lite *out)
{
	struct decision *d = malloc(sizeof(*d));
	size_t failed = 0;

	assert(p && c && out && n <= c->n);
	assert(measure >= 0 && (size_t)measure < p->nmeasures);
	if (!d) {
		for (size_t r = 0; r < n; r++) {
			memset(&out[r], 0, sizeof(out[r]));
			out[r].status = Q_ERR_NOMEM;
		}
		return n;
	}
	for (size_t r = 0; r < n; r++) {
		struct decision_lite *o = &out[r];
		struct facts f;
		struct qerr e;

		fact_columns_get(c, r, p, &f);
		memset(o, 0, sizeof(*o));
		o->status = decide_facts(p, measure, &f, with_history, d, &e);
		if (o->status) {
			failed++;
			continue;
		}
		o->eligible = d->eligible;
		o->rate = d->rate;
		o->rate_rule = d->rate_rule;
		o->amount = d->amount;
		o->nreasons = d->nreasons;
		for (uint16_t k = 0;
		     k < d->nreasons && k < DECISION_LITE_REASONS; k++)
			o->reasons[k] = d->reasons[k];
	}
	free(d);
	return failed;
}
