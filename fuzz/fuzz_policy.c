/*
 * fuzz_policy.c - libFuzzer target for the policy loader.
 *
 * Any input must either load or be refused with diagnostics; never crash,
 * leak or read out of bounds. A loaded policy is checked for the
 * invariants the engine relies on.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct policy *p)
{
	const int64_t *v;
	const uint8_t *n;

	assert(p->nepochs >= 1);
	for (size_t k = 1; k < p->nepochs; k++)
		assert(p->epoch_from[k - 1] < p->epoch_from[k]);
	for (size_t k = 0; k < p->nepochs; k++) {
		policy_params_on(p, p->epoch_from[k], &v, &n);
		assert(v == p->epoch_vals + k * p->nparams);
		(void)n;
	}
	for (size_t i = 0; i < p->npools; i++)
		assert(p->pools[i].rule < p->nrules);
	for (size_t i = 0; i < p->nmeasures; i++) {
		const struct policy_measure *m = &p->measures[i];

		assert(m->pool < p->npools && m->base && m->nrows > 0);
		assert(m->kind_rule < p->nrules && m->window_rule < p->nrules &&
		       m->base_rule < p->nrules);
		for (size_t j = 0; j < m->nconds; j++)
			assert(m->conds[j].rule < p->nrules &&
			       m->conds[j].when);
		for (size_t j = 0; j < m->nrows; j++)
			assert(m->rows[j].rule < p->nrules && m->rows[j].rate);
		for (size_t j = 0; j < m->ncaps; j++)
			assert(m->caps[j].rule < p->nrules &&
			       m->caps[j].limit &&
			       (!m->caps[j].relaxed_when ||
				m->caps[j].relaxed_rule < p->nrules));
		assert(policy_find_measure(p, m->id, __builtin_strlen(m->id)) ==
		       (int)i);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct policy *p = NULL;
	int rc = policy_load_buf("fuzz.yaml", (const char *)data, size, &p, &d);

	assert((rc == 0) == (p != NULL));
	assert(rc != 0 || d.n == 0);
	assert(rc == 0 || rc == Q_ERR_NOMEM || d.n > 0 || d.truncated > 0);
	if (p)
		check(p);
	policy_free(p);
	diag_release(&d);
	return 0;
}
