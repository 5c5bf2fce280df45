/*
 * test_chips.c - the chip catalog loader and data/chips.yaml.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "policy/chips.h"

static struct chip_catalog *load_ok(const char *yaml)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct chip_catalog *c = NULL;
	int rc = chips_load_buf("chips.yaml", yaml, strlen(yaml), &c, &d);

	if (rc != Q_OK)
		diag_print(&d, stderr);
	assert_int_equal(rc, Q_OK);
	assert_int_equal(d.n, 0);
	assert_non_null(c);
	diag_release(&d);
	return c;
}

/* Load yaml, expect it refused, and return the diagnostics. */
static void load_bad(const char *yaml, struct diag_list *d)
{
	struct chip_catalog *c = (struct chip_catalog *)1;
	int rc;

	diag_init(d);
	rc = chips_load_buf("chips.yaml", yaml, strlen(yaml), &c, d);
	assert_int_equal(rc, Q_ERR_POLICY);
	assert_null(c);
	assert_true(d->n > 0);
}

/* The diagnostic at line:col whose message contains sub, or fail. */
static void expect_diag(const struct diag_list *d, int line, int col,
			const char *sub)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->items[i].line == line && d->items[i].col == col &&
		    strstr(d->items[i].msg, sub))
			return;
	diag_print(d, stderr);
	fail_msg("no diagnostic %d:%d containing '%s'", line, col, sub);
}

static const char two[] =
	"chips:\n"
	"  - id: ascend-910c\n"
	"    name: Huawei Ascend 910C\n"
	"    vendor: Huawei\n"
	"    domestic: true\n"
	"    h100_ratio: \"0.65\"\n"
	"    source: \"analysts, as reported in the press, 2025\"\n"
	"  - id: nvidia-h100\n"
	"    name: Nvidia H100\n"
	"    vendor: Nvidia\n"
	"    domestic: false\n"
	"    h100_ratio: 1\n"
	"    source: reference\n"
	"    note: the reference chip\n";

static void test_lookup(void **state)
{
	struct chip_catalog *c = load_ok(two);
	const struct chip *ch;

	(void)state;
	assert_int_equal(c->n, 2);
	ch = chips_find(c, "ascend-910c", 11);
	assert_non_null(ch);
	assert_string_equal(ch->name, "Huawei Ascend 910C");
	assert_string_equal(ch->vendor, "Huawei");
	assert_true(ch->domestic);
	assert_int_equal(ch->h100_bp, 6500);
	assert_string_equal(ch->source,
			    "analysts, as reported in the press, 2025");
	assert_null(ch->note);
	ch = chips_find(c, "nvidia-h100xx", 11); /* length-bounded */
	assert_non_null(ch);
	assert_false(ch->domestic);
	assert_int_equal(ch->h100_bp, 10000);
	assert_string_equal(ch->note, "the reference chip");
	assert_null(chips_find(c, "ascend-910", 10));
	assert_null(chips_find(c, "ascend-910cx", 12));
	assert_null(chips_find(c, "", 0));
	/* Neither entry gives a reference price. */
	assert_int_equal(
		chips_find(c, "ascend-910c", 11)->ref_price_per_h100_hour, -1);
	assert_null(chips_find(c, "ascend-910c", 11)->ref_price_source);
	chips_free(c);
}

static const char priced[] = "chips:\n"
			     "  - id: ascend-910c\n"
			     "    name: Huawei Ascend 910C\n"
			     "    vendor: Huawei\n"
			     "    domestic: true\n"
			     "    h100_ratio: \"0.65\"\n"
			     "    source: analysts\n"
			     "    ref_price_per_h100_hour: \"14.05\"\n"
			     "    ref_price_on: 2025-06-30\n"
			     "    ref_price_source: quan estimate\n"
			     "    ref_price_assumption: parity with the H100\n"
			     "  - id: nvidia-h100\n"
			     "    name: Nvidia H100\n"
			     "    vendor: Nvidia\n"
			     "    domestic: false\n"
			     "    h100_ratio: 1\n"
			     "    source: reference\n"
			     "    ref_price_per_h100_hour: 0.10\n"
			     "    ref_price_on: 2025-01-01\n"
			     "    ref_price_source: observed\n";

/* The reference price is money read exactly from its text, with its date,
 * source and (optional) assumption. */
static void test_ref_price(void **state)
{
	struct chip_catalog *c = load_ok(priced);
	const struct chip *ch;
	qdate on;
	struct qerr e;

	(void)state;
	ch = chips_find(c, "ascend-910c", 11);
	assert_int_equal(ch->ref_price_per_h100_hour, 1405);
	assert_int_equal(date_parse("2025-06-30", 10, &on, "d", &e), 0);
	assert_int_equal(ch->ref_price_on, on);
	assert_string_equal(ch->ref_price_source, "quan estimate");
	assert_string_equal(ch->ref_price_assumption, "parity with the H100");
	ch = chips_find(c, "nvidia-h100", 11);
	assert_int_equal(ch->ref_price_per_h100_hour, 10); /* 0.10, exact */
	assert_null(ch->ref_price_assumption);
	chips_free(c);
}

static void test_ref_price_errors(void **state)
{
	static const char head[] = "chips:\n"
				   "  - id: x\n"
				   "    name: X\n"
				   "    vendor: V\n"
				   "    domestic: true\n"
				   "    h100_ratio: \"0.5\"\n"
				   "    source: s\n";
	static const struct {
		const char *tail;
		int line, col;
		const char *msg;
	} cases[] = {
		/* a price needs its date and source */
		{"    ref_price_per_h100_hour: \"1.00\"\n", 2, 5,
		 "missing key 'ref_price_on'"},
		{"    ref_price_per_h100_hour: \"1.00\"\n"
		 "    ref_price_source: s\n",
		 2, 5, "missing key 'ref_price_on'"},
		{"    ref_price_per_h100_hour: \"1.00\"\n"
		 "    ref_price_on: 2025-01-01\n",
		 2, 5, "missing key 'ref_price_source'"},
		/* money is at most two decimals, never a float */
		{"    ref_price_per_h100_hour: \"1.005\"\n"
		 "    ref_price_on: 2025-01-01\n"
		 "    ref_price_source: s\n",
		 8, 31, "ref_price_per_h100_hour"},
		{"    ref_price_per_h100_hour: 1e3\n"
		 "    ref_price_on: 2025-01-01\n"
		 "    ref_price_source: s\n",
		 8, 30, "ref_price_per_h100_hour"},
		{"    ref_price_per_h100_hour: \"0.00\"\n"
		 "    ref_price_on: 2025-01-01\n"
		 "    ref_price_source: s\n",
		 8, 31, "above 0"},
		{"    ref_price_per_h100_hour: \"-1.00\"\n"
		 "    ref_price_on: 2025-01-01\n"
		 "    ref_price_source: s\n",
		 8, 31, "ref_price_per_h100_hour"},
		/* a bad date */
		{"    ref_price_per_h100_hour: \"1.00\"\n"
		 "    ref_price_on: 2025-02-30\n"
		 "    ref_price_source: s\n",
		 9, 19, "ref_price_on"},
		/* the rest of the group without the price */
		{"    ref_price_on: 2025-01-01\n", 8, 19,
		 "'ref_price_on' without 'ref_price_per_h100_hour'"},
		{"    ref_price_assumption: a\n", 8, 27,
		 "'ref_price_assumption' without 'ref_price_per_h100_hour'"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char yaml[1024];
		struct diag_list d;

		snprintf(yaml, sizeof(yaml), "%s%s", head, cases[i].tail);
		load_bad(yaml, &d);
		expect_diag(&d, cases[i].line, cases[i].col, cases[i].msg);
		diag_release(&d);
	}
}

static void test_ratios(void **state)
{
	static const struct {
		const char *text;
		int32_t bp; /* -1: refused */
	} cases[] = {
		{"0.65", 6500},	   {"1.0", 10000}, {"0.0001", 1},
		{"1.3220", 13220}, {"2", 20000},   {"100", 1000000},
		{"0", -1},	   {"0.0", -1},	   {"0.12345", -1},
		{"-0.5", -1},	   {".5", -1},	   {"1.", -1},
		{"101", -1},	   {"1e0", -1},	   {"0,65", -1},
		{"", -1},
	};
	char yaml[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct diag_list d = DIAG_LIST_INIT;
		struct chip_catalog *c = NULL;
		int rc;

		snprintf(yaml, sizeof(yaml),
			 "chips:\n  - id: x\n    name: X\n    vendor: V\n"
			 "    domestic: true\n    h100_ratio: \"%s\"\n"
			 "    source: s\n",
			 cases[i].text);
		rc = chips_load_buf("c.yaml", yaml, strlen(yaml), &c, &d);
		if (cases[i].bp < 0) {
			if (rc != Q_ERR_POLICY)
				fail_msg("'%s' accepted", cases[i].text);
			expect_diag(&d, 6, 18, "h100_ratio");
		} else {
			if (rc != Q_OK)
				fail_msg("'%s' refused", cases[i].text);
			assert_int_equal(c->chips[0].h100_bp, cases[i].bp);
		}
		chips_free(c);
		diag_release(&d);
	}
}

static void test_errors_all_reported(void **state)
{
	struct diag_list d;

	(void)state;
	load_bad("chips:\n"
		 "  - id: a\n"		     /* 2 */
		 "    name: A\n"	     /* 3 */
		 "    vendr: V\n"	     /* 4: unknown, vendor missing */
		 "    domestic: yes\n"	     /* 5 */
		 "    h100_ratio: \"0.5\"\n" /* 6 */
		 "    source: s\n"	     /* 7 */
		 "  - id: a\n"		     /* 8: duplicate */
		 "    name: A2\n"
		 "    vendor: V\n"
		 "    domestic: false\n"
		 "    h100_ratio: \"0.5\"\n"
		 "    source: s\n"
		 "  - id: Bad_Id\n" /* 14 */
		 "    name: B\n"
		 "    vendor: V\n"
		 "    domestic: false\n"
		 "    h100_ratio: \"0.5\"\n", /* source missing */
		 &d);
	expect_diag(&d, 4, 5, "unknown key 'vendr' in chip 'a'");
	expect_diag(&d, 2, 5, "missing key 'vendor' in chip 'a'");
	expect_diag(&d, 5, 15, "'domestic' must be true or false");
	expect_diag(&d, 8, 9, "duplicate chip id 'a' (first at line 2)");
	expect_diag(&d, 14, 9, "not a valid chip id");
	expect_diag(&d, 14, 5, "missing key 'source'");
	assert_int_equal(d.n, 6);
	diag_release(&d);
}

static void test_yaml_errors(void **state)
{
	struct diag_list d;

	(void)state;
	load_bad("chips:\n  - id: [x\n", &d);
	assert_int_equal(d.items[0].line > 0, 1);
	assert_string_equal(d.items[0].file, "chips.yaml");
	diag_release(&d);
	load_bad("", &d);
	diag_release(&d);
	load_bad("chips:\n  - id: a\n    name: \"\x8e\"\n", &d);
	expect_diag(&d, 3, 12, "not valid UTF-8");
	diag_release(&d);
	load_bad("chipz: []\n", &d);
	expect_diag(&d, 1, 1, "unknown key 'chipz'");
	diag_release(&d);
	load_bad("chips: {}\n", &d);
	diag_release(&d);
}

/* The hashed index (chips_find) over a catalog large enough to collide:
 * ids one byte apart at either end, in the middle, of two to seven bytes
 * and longer than the eight it reads from each end. Every id finds its own
 * chip; an id a byte shorter finds what reading the catalog in order
 * finds ("c1" for "c13"), one with a byte changed too ("c12" for
 * "c13"), and one a byte longer none. */
static const struct chip *find_in_order(const struct chip_catalog *c,
					const char *id, size_t len)
{
	for (size_t i = 0; i < c->n; i++)
		if (strlen(c->chips[i].id) == len &&
		    memcmp(c->chips[i].id, id, len) == 0)
			return &c->chips[i];
	return NULL;
}

static void test_lookup_index(void **state)
{
	enum { N = 300 };
	static char yaml[N * 160];
	static char ids[N][40];
	struct chip_catalog *c;
	size_t used;

	(void)state;
	used = (size_t)snprintf(yaml, sizeof(yaml), "chips:\n");
	for (int i = 0; i < N; i++) {
		switch (i % 5) {
		case 0:
			snprintf(ids[i], sizeof(ids[i]), "ascend-%03d", i);
			break;
		case 1:
			snprintf(ids[i], sizeof(ids[i]), "c%d", i);
			break;
		case 2:
			snprintf(ids[i], sizeof(ids[i]), "vendor-%dx-model", i);
			break;
		case 3:
			snprintf(ids[i], sizeof(ids[i]),
				 "a-very-long-chip-family-%d-b", i);
			break;
		default:
			snprintf(ids[i], sizeof(ids[i]), "chip%d", i);
			break;
		}
		used += (size_t)snprintf(
			yaml + used, sizeof(yaml) - used,
			"  - id: %s\n    name: n\n    vendor: v\n"
			"    domestic: true\n    h100_ratio: 1\n"
			"    source: s\n",
			ids[i]);
		assert_true(used < sizeof(yaml));
	}
	c = load_ok(yaml);
	assert_int_equal(c->n, N);
	assert_non_null(c->index);
	for (int i = 0; i < N; i++) {
		size_t len = strlen(ids[i]);
		char near[48];

		assert_ptr_equal(chips_find(c, ids[i], len), &c->chips[i]);
		assert_ptr_equal(chips_find(c, ids[i], len - 1),
				 find_in_order(c, ids[i], len - 1));
		snprintf(near, sizeof(near), "%sz", ids[i]);
		assert_null(chips_find(c, near, len + 1));
		for (size_t at = 0; at < len; at++) {
			memcpy(near, ids[i], len + 1);
			near[at] ^= 0x01;
			assert_ptr_equal(chips_find(c, near, len),
					 find_in_order(c, near, len));
		}
	}
	chips_free(c);
}

/* The shipped catalog loads and holds what PROGRAMS.md needs. */
static void test_shipped_catalog(void **state)
{
	static const char *const ids[] = {
		"ascend-910b",	    "ascend-910c",
		"cambricon-mlu370", "cambricon-mlu590",
		"hygon-k100",	    "kunlunxin-p800",
		"biren-br100",	    "moore-threads-mtt-s4000",
		"iluvatar-bi-v100", "enflame-t20",
		"nvidia-h100",	    "nvidia-h800",
		"nvidia-h20",	    "nvidia-a100",
		"nvidia-a800",	    "nvidia-l40s",
		"nvidia-4090",	    "amd-mi300x",
	};
	struct diag_list d = DIAG_LIST_INIT;
	struct chip_catalog *c = NULL;
	const struct chip *ch;
	int rc = chips_load(QUAN_DATADIR "/chips.yaml", &c, &d);

	(void)state;
	diag_print(&d, stderr);
	assert_int_equal(rc, Q_OK);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		ch = chips_find(c, ids[i], strlen(ids[i]));
		if (!ch)
			fail_msg("chip '%s' missing", ids[i]);
		assert_true(ch->h100_bp > 0);
		assert_true(ch->domestic == (strncmp(ids[i], "nvidia-", 7) &&
					     strncmp(ids[i], "amd-", 4)));
	}
	ch = chips_find(c, "ascend-910c", 11);
	assert_int_equal(ch->h100_bp, 6500);
	assert_string_equal(ch->source,
			    "analysts, as reported in the press, 2025");
	assert_int_equal(chips_find(c, "nvidia-h100", 11)->h100_bp, 10000);
	/* Every shipped chip has a reference price with its date and source,
	 * and each is marked as the estimate it is. */
	for (size_t i = 0; i < c->n; i++) {
		assert_true(c->chips[i].ref_price_per_h100_hour > 0);
		assert_true(c->chips[i].ref_price_on > 0);
		assert_non_null(c->chips[i].ref_price_source);
		assert_non_null(c->chips[i].ref_price_assumption);
	}
	assert_int_equal(
		chips_find(c, "nvidia-h100", 11)->ref_price_per_h100_hour,
		1400);
	chips_free(c);
	diag_release(&d);
}

static void test_io(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct chip_catalog *c = NULL;

	(void)state;
	assert_int_equal(chips_load("/nonexistent/chips.yaml", &c, &d),
			 Q_ERR_IO);
	assert_null(c);
	diag_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_lookup_index),
		cmocka_unit_test(test_ratios),
		cmocka_unit_test(test_errors_all_reported),
		cmocka_unit_test(test_yaml_errors),
		cmocka_unit_test(test_shipped_catalog),
		cmocka_unit_test(test_io),
		cmocka_unit_test(test_ref_price),
		cmocka_unit_test(test_ref_price_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
