/*
 * fuzz_expr.c - libFuzzer target for the condition language.
 *
 * Compiles the input against a small parameter set and, when it compiles,
 * evaluates it over fixed facts with the parameters in force, with one not
 * in force and with the nullable field null and not null. It also checks
 * that the canonical form compiles to the same program: re-joining the
 * tokens must not change what an expression means. Each evaluation is
 * held to the interpreter alone (expr_eval_plain), and a condition fused
 * alone and run as one (expr_eval_cond) to the same, with and without the
 * facts' string keys: the one-step forms must not change a value either.
 * The same four evaluations over columns (expr_eval_columns, one row
 * each, and a condition fused twice through expr_eval_fused_columns) must
 * give the same values and statuses.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "policy/expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	const char *name;
	enum qtype type;
} params_def[] = {
	{"sme_rate", QT_RATE},	     {"cap", QT_MONEY}, {"years", QT_INT},
	{"start", QT_DATE},	     {"flag", QT_BOOL}, {"label", QT_STRING},
	{"stack_domestic", QT_RATE},
};
#define NPARAMS (sizeof(params_def) / sizeof(params_def[0]))

static int lookup(void *ctx, const char *name, size_t len, enum qtype *type)
{
	(void)ctx;
	for (size_t i = 0; i < NPARAMS; i++)
		if (strlen(params_def[i].name) == len &&
		    memcmp(params_def[i].name, name, len) == 0) {
			*type = params_def[i].type;
			return (int)i;
		}
	return -1;
}

/* One named supplier list, "partners" (bit 0), which the facts hold. */
static int list_lookup(void *ctx, const char *name, size_t len)
{
	(void)ctx;
	return len == 8 && memcmp(name, "partners", 8) == 0 ? 0 : -1;
}

static const int64_t pv[NPARAMS] = {5000, 800000000, 3, 20089, 1, 0, 2000};

static void fill(struct facts *f)
{
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < F__COUNT; i++)
		if (field_table[i].type == QT_STRING)
			f->s[i] = "";
	f->s[F_APPLICANT_REGISTERED_CITY] = "shanghai";
	f->s[F_CONTRACT_KIND] = "rent";
	f->s[F_APPLICANT_NAME] = "a\"b\\c";
	f->i[F_APPLICANT_SME] = 1;
	f->i[F_APPLICANT_COMPUTE_CONTRACTS_YEAR] = 40000000;
	f->i[F_APPLICANT_AWARDED_YEAR] = 1000000;
	f->i[F_APPLICANT_LAST_BAD_CREDIT_ON] = 18262; /* 2020-01-01 */
	f->i[F_CONTRACT_VALUE] = 100000000;
	f->i[F_CONTRACT_SIGNED_ON] = 20252; /* 2025-06-13 */
	f->i[F_CONTRACT_TERM_MONTHS] = 24;
	f->i[F_CONTRACT_OTHER_SUBSIDIES_TOTAL] = 500000;
	f->i[F_CONTRACT_OTHER_SUBSIDIES_COUNT] = 1;
	f->i[F_COMPUTE_DOMESTIC] = 1;
	f->i[F_COMPUTE_ACCELERATORS] = 8;
	f->i[F_COMPUTE_HOURS] = 720;
	f->i[F_RECEIVED_ON] = 20260;
	f->s[F_APPLICANT_KIND] = "enterprise";
	f->s[F_APPLICANT_INDUSTRY] = "I6510";
	f->i[F_SUPPLIER_RACKS] = 1000;
	f->lists_known = true;
	f->supplier_lists = 1;
	f->null_mask = 1ull << F_APPLICANT_LAST_BAD_CREDIT_ON |
		       1ull << F_SUPPLIER_PFLOPS;
}

/* The plain interpreter gives st and v too; so does x fused alone, for a
 * condition, with and without string keys. */
static void same_plain(const struct expr *x, const struct facts *f,
		       const int64_t *params, const uint8_t *pn, int st,
		       int64_t v)
{
	int64_t w = 0;
	struct expr *fx = NULL;
	struct facts k = *f;

	assert(expr_eval_plain(x, f, params, pn, &w) == st);
	assert(st != EXPR_OK || w == v);
	if (expr_type(x) != QT_BOOL || expr_fuse(&x, 1, &fx))
		return;
	assert(expr_eval_cond(fx, 0, f, params, pn, &w) == st);
	assert(st != EXPR_OK || w == v);
	assert(expr_eval_cond_plain(fx, 0, f, params, pn, &w) == st);
	assert(st != EXPR_OK || w == v);
	facts_keys(&k, (1ull << F__COUNT) - 1);
	assert(expr_eval_cond(fx, 0, &k, params, pn, &w) == st);
	assert(st != EXPR_OK || w == v);
	expr_free(fx);
}

static void eval_all(const struct expr *x, const struct facts *f,
		     int64_t res[4], int st[4])
{
	struct facts g = *f;
	uint8_t pn[NPARAMS] = {0};

	st[0] = expr_eval(x, &g, pv, pn, &res[0]);
	same_plain(x, &g, pv, pn, st[0], res[0]);
	g.null_mask = 0;
	st[1] = expr_eval(x, &g, pv, pn, &res[1]);
	same_plain(x, &g, pv, pn, st[1], res[1]);
	pn[0] = pn[1] = 1;
	st[2] = expr_eval(x, &g, pv, pn, &res[2]);
	same_plain(x, &g, pv, pn, st[2], res[2]);
	st[3] = expr_eval(x, &g, NULL, NULL, &res[3]);
	same_plain(x, &g, NULL, NULL, st[3], res[3]);
	for (int i = 0; i < 4; i++) {
		assert(st[i] >= EXPR_OK && st[i] <= EXPR_DIV_ZERO);
		if (st[i] == EXPR_OK && expr_type(x) == QT_BOOL)
			assert(res[i] == 0 || res[i] == 1);
	}
}

/* eval_all's four evaluations as the four rows of one columnar run. */
static void eval_columns(const struct expr *x, const struct facts *f,
			 const int64_t res[4], const int st[4])
{
	static int64_t col[F__COUNT][4];
	static struct expr_cols_scratch sc;
	uint8_t pn0[NPARAMS] = {0}, pn2[NPARAMS] = {0};
	const int64_t *params[4] = {pv, pv, pv, NULL};
	const uint8_t *nulls[4] = {pn0, pn0, pn2, NULL};
	uint64_t null_mask[4] = {f->null_mask, 0, 0, 0};
	uint8_t known[4], status[4];
	uint64_t lists[4];
	int64_t out[4];
	struct expr_cols c;

	memset(&c, 0, sizeof(c));
	pn2[0] = pn2[1] = 1;
	for (int id = 0; id < F__COUNT; id++) {
		for (int r = 0; r < 4; r++)
			col[id][r] = f->i[id];
		c.col[id] = col[id];
	}
	for (int r = 0; r < 4; r++) {
		known[r] = f->lists_known;
		lists[r] = f->supplier_lists;
	}
	c.null_mask = null_mask;
	c.lists_known = known;
	c.supplier_lists = lists;
	c.params = params;
	c.param_null = nulls;
	expr_eval_columns(x, &c, 4, NULL, out, status, &sc);
	for (int r = 0; r < 4; r++) {
		assert(status[r] == st[r]);
		assert(st[r] != EXPR_OK || out[r] == res[r]);
	}
	if (expr_type(x) == QT_BOOL) {
		const struct expr *two[2] = {x, x};
		struct expr *fz = NULL;
		uint64_t pass[4], nif[4];
		uint8_t bad[4];

		if (expr_fuse(two, 2, &fz))
			return;
		expr_eval_fused_columns(fz, &c, 4, NULL, pass, nif, status, bad,
					&sc);
		for (int r = 0; r < 4; r++) {
			if (st[r] != EXPR_OK && st[r] != EXPR_NOT_IN_FORCE) {
				assert(status[r] == st[r] && bad[r] == 0);
				continue;
			}
			assert(status[r] == EXPR_OK);
			assert(nif[r] == (st[r] ? 3u : 0u));
			assert(pass[r] == (!st[r] && res[r] ? 3u : 0u));
		}
		expr_free(fz);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct expr_env env = {lookup, list_lookup, NULL};
	static const enum qtype wants[] = {QT_NONE, QT_BOOL, QT_MONEY, QT_RATE};
	struct expr_error err;
	struct expr *x = NULL, *y = NULL;
	struct facts f;
	enum qtype want = QT_NONE;
	int64_t r1[4], r2[4];
	int s1[4], s2[4];
	const char *canon;

	/* The first byte picks the wanted type, the rest is the source. */
	if (size > 0) {
		want = wants[data[0] & 3];
		data++;
		size--;
	}
	if (expr_compile((const char *)data, size, &env, want, &x, &err)) {
		assert(x == NULL);
		assert(memchr(err.msg, '\0', sizeof(err.msg)));
		assert(err.msg[0] != '\0');
		assert(err.offset <= size);
		return 0;
	}
	assert(x != NULL);
	assert(want == QT_NONE || expr_type(x) == want);
	assert(expr_type(x) != QT_STRING && expr_type(x) != QT_NULL &&
	       expr_type(x) != QT_NONE);
	assert(strlen(expr_source(x)) == size);
	fill(&f);
	eval_all(x, &f, r1, s1);
	eval_columns(x, &f, r1, s1);

	canon = expr_canonical(x);
	if (strlen(canon) <= EXPR_MAX_SOURCE) {
		int rc = expr_compile(canon, strlen(canon), &env, want, &y,
				      &err);

		assert(rc == 0);
		assert(strcmp(expr_canonical(y), canon) == 0);
		assert(expr_is_const_true(y) == expr_is_const_true(x));
		eval_all(y, &f, r2, s2);
		for (int i = 0; i < 4; i++) {
			assert(s1[i] == s2[i]);
			assert(s1[i] != EXPR_OK || r1[i] == r2[i]);
		}
		expr_free(y);
	}
	expr_free(x);
	return 0;
}
