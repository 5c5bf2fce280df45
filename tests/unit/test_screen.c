/*
 * test_screen.c - the screens (engine/screen.h) through a real office on
 * SQLite: every screen fired, and its near misses not; the same contract
 * in the Shanghai and Hangzhou programs of one office; the imports; the
 * policy keys and their errors; the store's lookups.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/csv.h"
#include "core/uscc.h"
#include "engine/render.h"
#include "engine/screen.h"
#include "office/office.h"
#include "policy/chips.h"
#include "policy/diag.h"
#include "store/store.h"

/* Every screen on, review or block, with small parameters. */
static const char policy_yaml[] =
	"program: scr-2025\n"
	"name: \"screen test program\"\n"
	"issuer: \"test\"\n"
	"currency: CNY\n"
	"sources:\n"
	"  - id: t\n"
	"    title: \"the screen test\"\n"
	"    url: \"https://example.org/\"\n"
	"pools:\n"
	"  - id: compute\n"
	"    name: \"compute pool\"\n"
	"    budgets:\n"
	"      2025: \"100000000.00\"\n"
	"    source: t\n"
	"screens:\n"
	"  related-party:\n"
	"    action: review\n"
	"    source: t\n"
	"  duplicate-claim:\n"
	"    action: block\n"
	"    window_days: 5\n"
	"    source: t\n"
	"  contract-splitting:\n"
	"    action: review\n"
	"    window_days: 30\n"
	"    threshold: \"1000000.00\"\n"
	"    just_under: 10%\n"
	"    source: t\n"
	"  price:\n"
	"    action: review\n"
	"    factor: 150%\n"
	"    source: t\n"
	"  restricted-list:\n"
	"    action: block\n"
	"    lists: [dishonest, restricted]\n"
	"    source: t\n"
	"  compute-region:\n"
	"    action: review\n"
	"    regions: [shanghai, suzhou]\n"
	"    source: t\n"
	"measures:\n"
	"  - id: rent\n"
	"    name: \"compute rent\"\n"
	"    source: t\n"
	"    pool: compute\n"
	"    kinds: [rent]\n"
	"    allocation: first-come-first-served\n"
	"    rates:\n"
	"      rows:\n"
	"        - id: all\n"
	"          rate: 30%\n"
	"          source: t\n"
	"  - id: strict\n"
	"    name: \"compute rent, related parties refused\"\n"
	"    source: t\n"
	"    pool: compute\n"
	"    kinds: [rent]\n"
	"    allocation: first-come-first-served\n"
	"    rates:\n"
	"      rows:\n"
	"        - id: all\n"
	"          rate: 30%\n"
	"          source: t\n"
	"    screens:\n"
	"      related-party:\n"
	"        action: block\n"
	"        source: t\n"
	"      price:\n"
	"        action: off\n";

/* An application, with everything a test may change. */
struct appl {
	const char *ref, *program, *measure; /* ref: its client_ref */
	char applicant[USCC_LEN + 1], supplier[USCC_LEN + 1];
	const char *app_ctrl, *sup_ctrl; /* one controller each */
	const char *number, *value, *signed_on, *location;
	long hours;
	const char *city; /* registered_city */
};

static char party[8][USCC_LEN + 1]; /* valid, distinct USCCs */

static void make_parties(void)
{
	for (int i = 0; i < 8; i++) {
		char s17[32]; /* 17 characters and room to spare */

		snprintf(s17, sizeof(s17), "91310115MA1K4AB%02d", i);
		snprintf(party[i], sizeof(party[i]), "%.17s%c", s17,
			 uscc_check_char(s17));
	}
}

static void appl_init(struct appl *a, const char *ref)
{
	memset(a, 0, sizeof(*a));
	a->ref = ref;
	a->program = "scr-2025";
	a->measure = "rent";
	memcpy(a->applicant, party[0], sizeof(a->applicant));
	memcpy(a->supplier, party[1], sizeof(a->supplier));
	a->app_ctrl = "310101198001010018";
	a->sup_ctrl = "310104197505050026";
	a->number = "HT-1";
	a->value = "100000.00";
	a->signed_on = "2025-08-15";
	a->location = "shanghai";
	a->hours = 10000; /* 1 H100 x 10000 h: 10.00 yuan per hour */
	a->city = "shanghai";
}

static char *appl_json(const struct appl *a, size_t *len)
{
	static char buf[4096];
	int n = snprintf(
		buf, sizeof(buf),
		"{\"client_ref\":\"%s\",\"program\":\"%s\",\"measure\":\"%s\","
		"\"applicant\":{\"uscc\":\"%s\",\"name\":\"A\","
		"\"registered_city\":\"%s\",\"industry\":\"I65\",\"sme\":true,"
		"\"startup\":false,\"registered_model\":false,"
		"\"last_bad_credit_on\":null,\"controllers\":[\"%s\"]},"
		"\"supplier\":{\"uscc\":\"%s\",\"name\":\"S\","
		"\"platform_listed\":true,\"controllers\":[\"%s\"]},"
		"\"contract\":{\"number\":\"%s\",\"kind\":\"rent\","
		"\"value\":\"%s\",\"signed_on\":\"%s\",\"term_months\":12,"
		"\"uses_registered_model\":false,\"other_subsidies\":[],"
		"\"compute\":{\"chip\":\"nvidia-h100\",\"accelerators\":1,"
		"\"hours\":%ld,\"location\":\"%s\"}}}",
		a->ref, a->program, a->measure, a->applicant, a->city,
		a->app_ctrl, a->supplier, a->sup_ctrl, a->number, a->value,
		a->signed_on, a->hours, a->location);

	assert_true(n > 0 && (size_t)n < sizeof(buf));
	*len = (size_t)n;
	return buf;
}

/* --- the office ------------------------------------------------------------- */

struct fx {
	char dir[64], db[96], policy[96];
	struct chip_catalog *chips;
	struct office o;
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct diag_list d = DIAG_LIST_INIT;
	struct qerr e;
	bool is_new;

	make_parties();
	snprintf(f->dir, sizeof(f->dir), "/tmp/quan-screen-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/office.db", f->dir);
	snprintf(f->policy, sizeof(f->policy), "%s/scr.yaml", f->dir);
	write_file(f->policy, policy_yaml);
	assert_int_equal(chips_load(QUAN_DATADIR "/chips.yaml", &f->chips, &d),
			 0);
	diag_release(&d);
	qerr_clear(&e);
	if (office_open(&f->o, f->db, f->chips, &e))
		fail_msg("office_open: %s", e.msg);
	if (office_load_policy(&f->o, f->policy, "admin", 1760000000, &is_new,
			       &e))
		fail_msg("office_load_policy: %s", e.msg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char path[160];

	office_close(&f->o);
	chips_free(f->chips);
	for (const char *const *s =
		     (const char *const[]){"office.db", "office.db-wal",
					   "office.db-shm", "scr.yaml", NULL};
	     *s; s++) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, *s);
		unlink(path);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

/* When the office receives the applications: 2025-09-01T10:00:00+08:00. */
#define RECEIVED ((int64_t)1756692000)

/* Apply a, received at `at`; returns the result (asserting it was
 * recorded under a number of the office's). */
static struct office_result apply_at(struct fx *f, const struct appl *a,
				     int64_t at)
{
	struct office_result r;
	struct qerr e;
	size_t len;
	const char *json = appl_json(a, &len);

	qerr_clear(&e);
	if (office_apply(&f->o, json, len, "applicant", at, &r, &e))
		fail_msg("apply %s: %s", a->ref, e.msg);
	assert_string_equal(r.client_ref, a->ref);
	assert_true(r.id[0] != '\0');
	assert_true(strcmp(r.id, a->ref) != 0);
	return r;
}

static struct office_result apply(struct fx *f, const struct appl *a)
{
	return apply_at(f, a, RECEIVED);
}

/* The recorded decision of id, as the office renders it. */
static json_t *decision_of(struct fx *f, const char *id)
{
	struct store_app sa;
	struct qerr e;
	json_t *d = NULL;

	qerr_clear(&e);
	assert_int_equal(store_app_get(f->o.store, id, &sa, &e), 0);
	if (office_decision_json(&f->o, &sa, &d, &e))
		fail_msg("the decision of %s: %s", id, e.msg);
	store_app_release(&sa);
	assert_non_null(d);
	/* It names the application by the office's number. */
	assert_string_equal(
		json_string_value(json_object_get(d, "application")), id);
	return d;
}

/* The flag named name in the decision of id, or NULL (borrowed from *d,
 * which the caller releases). */
static json_t *flag_of(struct fx *f, const char *id, const char *name,
		       json_t **d)
{
	size_t i;
	json_t *fl;

	*d = decision_of(f, id);
	json_array_foreach(json_object_get(*d, "flags"), i, fl)
	{
		if (!strcmp(json_string_value(json_object_get(fl, "flag")),
			    name))
			return fl;
	}
	return NULL;
}

static bool has_flag(struct fx *f, const char *id, const char *name)
{
	json_t *d;
	bool yes = flag_of(f, id, name, &d) != NULL;

	json_decref(d);
	return yes;
}

static const char *ev_str(json_t *fl, const char *k)
{
	return json_string_value(
		json_object_get(json_object_get(fl, "evidence"), k));
}

/* --- tests: a clean application ----------------------------------------------- */

static void test_clean(void **state)
{
	struct fx *f = *state;
	struct appl a;
	struct office_result r;
	json_t *d;

	appl_init(&a, "A1");
	r = apply(f, &a);
	/* The first application of the program in fiscal year 2025. */
	assert_string_equal(r.id, "SCR-2025-000001");
	assert_int_equal(r.received_at, RECEIVED);
	assert_false(r.existed);
	assert_int_equal(r.state, APP_RESERVED);
	assert_int_equal(r.nflags, 0);
	assert_false(r.blocked);
	d = decision_of(f, r.id);
	assert_int_equal(json_array_size(json_object_get(d, "flags")), 0);
	assert_null(json_object_get(d, "blocked"));
	json_decref(d);
}

/* --- related party ---------------------------------------------------------------- */

static void test_related_direct(void **state)
{
	struct fx *f = *state;
	struct appl a;
	struct office_result r;
	json_t *d, *fl;

	/* A shared controller in the application: review, still reserved. */
	appl_init(&a, "R1");
	a.sup_ctrl = a.app_ctrl;
	r = apply(f, &a);
	assert_int_equal(r.state, APP_RESERVED);
	assert_string_equal(r.flags, "related_party");
	fl = flag_of(f, r.id, "related_party", &d);
	assert_non_null(fl);
	assert_string_equal(ev_str(fl, "how"), "shared_controller");
	assert_string_equal(ev_str(fl, "controller"), "310101198001010018");
	assert_string_equal(ev_str(fl, "applicant_from"), "application");
	assert_string_equal(json_string_value(json_object_get(fl, "action")),
			    "review");
	json_decref(d);

	/* The same in the strict measure: blocked, the screen the reason. */
	appl_init(&a, "R2");
	a.measure = "strict";
	a.number = "HT-R2";
	a.sup_ctrl = a.app_ctrl;
	r = apply(f, &a);
	assert_int_equal(r.state, APP_INELIGIBLE);
	assert_true(r.blocked);
	assert_int_equal(r.amount, 0);
	d = decision_of(f, r.id);
	assert_true(json_is_true(json_object_get(d, "blocked")));
	assert_false(json_is_true(json_object_get(d, "eligible")));
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(d, "reasons"), 0),
			"rule")),
		"strict.screen.related-party");
	json_decref(d);

	/* One firm on both sides. */
	appl_init(&a, "R3");
	a.number = "HT-R3";
	memcpy(a.supplier, a.applicant, sizeof(a.supplier));
	r = apply(f, &a);
	fl = flag_of(f, r.id, "related_party", &d);
	assert_non_null(fl);
	assert_string_equal(ev_str(fl, "how"), "same_uscc");
	json_decref(d);

	/* Near miss: controllers that differ in one digit. */
	appl_init(&a, "R4");
	a.number = "HT-R4";
	a.sup_ctrl = "310101198001010019";
	r = apply(f, &a);
	assert_false(has_flag(f, r.id, "related_party"));
}

static void test_related_registry(void **state)
{
	struct fx *f = *state;
	struct appl a;
	struct office_result r;
	struct qerr e;
	long n = 0;
	json_t *d, *fl;
	char csv[512];

	/* The registry says one person controls parties 2 and 3, and party 4
	 * controls party 5; the applications list none of it. */
	snprintf(csv, sizeof(csv),
		 "source,uscc,controller_id,name\r\n"
		 "SAMR 2025,%s,110101197001010011,\"Li, Wei\"\r\n"
		 "SAMR 2025,%s,110101197001010011,\"Li, Wei\"\r\n"
		 "\r\n"
		 "SAMR 2025,%s,%s,parent\r\n",
		 party[2], party[3], party[5], party[4]);
	qerr_clear(&e);
	assert_int_equal(office_registry_import(&f->o, csv, strlen(csv),
						"c.csv", "admin", 1760000000,
						&n, &e),
			 0);
	assert_int_equal(n, 3);

	appl_init(&a, "G1");
	memcpy(a.applicant, party[2], sizeof(a.applicant));
	memcpy(a.supplier, party[3], sizeof(a.supplier));
	r = apply(f, &a);
	assert_int_equal(r.state, APP_RESERVED);
	fl = flag_of(f, r.id, "related_party", &d);
	assert_non_null(fl);
	assert_string_equal(ev_str(fl, "controller"), "110101197001010011");
	assert_string_equal(ev_str(fl, "applicant_from"),
			    "registry: SAMR 2025");
	json_decref(d);

	appl_init(&a, "G2");
	a.number = "HT-G2";
	memcpy(a.applicant, party[4], sizeof(a.applicant));
	memcpy(a.supplier, party[5], sizeof(a.supplier));
	r = apply(f, &a);
	fl = flag_of(f, r.id, "related_party", &d);
	assert_non_null(fl);
	assert_string_equal(ev_str(fl, "how"), "controls");
	assert_string_equal(ev_str(fl, "controller"), party[4]);
	json_decref(d);

	/* Near miss: party 2 with an unrelated supplier. */
	appl_init(&a, "G3");
	a.number = "HT-G3";
	memcpy(a.applicant, party[2], sizeof(a.applicant));
	memcpy(a.supplier, party[6], sizeof(a.supplier));
	r = apply(f, &a);
	assert_false(has_flag(f, r.id, "related_party"));

	/* A bad USCC refuses the whole file, naming the line. */
	snprintf(csv, sizeof(csv),
		 "uscc,controller_id\n%s,X1\n91310115MA1K4ABCDE,X2\n",
		 party[6]);
	assert_int_equal(office_registry_import(&f->o, csv, strlen(csv),
						"bad.csv", "admin", 1760000000,
						&n, &e),
			 Q_ERR_INVALID);
	assert_non_null(strstr(e.msg, "line 3"));
	assert_int_equal(n, 0);
	/* An unknown column. */
	snprintf(csv, sizeof(csv), "uscc,controller,name\n");
	assert_int_equal(office_registry_import(&f->o, csv, strlen(csv),
						"bad.csv", "admin", 1760000000,
						&n, &e),
			 Q_ERR_INVALID);
	assert_non_null(strstr(e.msg, "unknown column 'controller'"));
}

/* --- duplicate claims ------------------------------------------------------------- */

static void test_duplicate(void **state)
{
	struct fx *f = *state;
	struct appl a;
	struct office_result r, d1;
	json_t *d, *fl, *claim;

	appl_init(&a, "D1");
	d1 = apply(f, &a);
	assert_int_equal(d1.state, APP_RESERVED);

	/* Near misses first (every contract applied is recorded, so they
	 * must not sit near the blocked ones below): the value differs by a
	 * fen; another number signed 6 days apart; another supplier. */
	appl_init(&a, "D4");
	a.value = "100000.01";
	r = apply(f, &a);
	assert_false(has_flag(f, r.id, "duplicate_claim"));
	appl_init(&a, "D5");
	a.number = "HT-D5";
	a.signed_on = "2025-08-21";
	r = apply(f, &a);
	assert_false(has_flag(f, r.id, "duplicate_claim"));
	appl_init(&a, "D6");
	memcpy(a.supplier, party[7], sizeof(a.supplier));
	r = apply(f, &a);
	assert_false(has_flag(f, r.id, "duplicate_claim"));

	/* Same parties, number and value, signed long after (and received
	 * after that: a contract is never signed after it is received):
	 * blocked. */
	appl_init(&a, "D2");
	a.signed_on = "2025-12-01";
	r = apply_at(f, &a, RECEIVED + 92 * 86400); /* 2025-12-02 */
	assert_int_equal(r.state, APP_INELIGIBLE);
	assert_true(r.blocked);
	fl = flag_of(f, r.id, "duplicate_claim", &d);
	assert_non_null(fl);
	claim = json_array_get(
		json_object_get(json_object_get(fl, "evidence"), "claims"), 0);
	assert_string_equal(
		json_string_value(json_object_get(claim, "application")),
		d1.id);
	assert_string_equal(
		json_string_value(json_object_get(claim, "program")),
		"scr-2025");
	json_decref(d);

	/* Another number, same parties and value, 5 days apart: the window
	 * holds (5 days). */
	appl_init(&a, "D3");
	a.number = "HT-OTHER";
	a.signed_on = "2025-08-10";
	assert_true(apply(f, &a).blocked);
	/* Re-submitting D1 itself is not a second claim: the office answers
	 * with the application it numbered. */
	r = apply(f, (appl_init(&a, "D1"), &a));
	assert_true(r.existed);
	assert_string_equal(r.id, d1.id);
	assert_int_equal(r.state, APP_RESERVED);
}

/* The must-hold: one office with Shanghai 2025 and Hangzhou 2024;
 * the same contract submitted to both is flagged on the second submission,
 * naming the first. */
static void test_duplicate_across_programs(void **state)
{
	struct fx *f = *state;
	struct appl a;
	struct office_result r, sh;
	struct qerr e;
	bool is_new;
	json_t *d, *fl, *claim;

	qerr_clear(&e);
	assert_int_equal(office_load_policy(&f->o,
					    "policies/shanghai-2025.yaml",
					    "admin", 1760000000, &is_new, &e),
			 0);
	assert_int_equal(office_load_policy(&f->o,
					    "policies/hangzhou-2024.yaml",
					    "admin", 1760000000, &is_new, &e),
			 0);
	appl_init(&a, "SH-X1");
	a.hours = 100000; /* 12.00 per H100 hour: no price flag */
	a.program = "shanghai-2025";
	a.measure = "compute-rent";
	a.number = "HT-2025-0456";
	a.value = "1200000.00";
	sh = apply(f, &a);
	assert_int_equal(sh.state, APP_RESERVED);
	assert_int_equal(sh.nflags, 0);
	/* Numbered with the Shanghai policy's prefix. */
	assert_string_equal(sh.id, "SH-2025-000001");

	appl_init(&a, "HZ-X1");
	a.hours = 100000;
	a.program = "hangzhou-2024";
	a.measure = "compute";
	a.number = "HT-2025-0456";
	a.value = "1200000.00";
	a.city = "hangzhou";
	a.location = "hangzhou";
	r = apply(f, &a);
	assert_int_equal(r.state, APP_INELIGIBLE);
	assert_true(r.blocked);
	assert_string_equal(r.id, "HZ-2025-000001");
	fl = flag_of(f, r.id, "duplicate_claim", &d);
	assert_non_null(fl);
	assert_string_equal(json_string_value(json_object_get(fl, "rule")),
			    "screen.duplicate-claim");
	claim = json_array_get(
		json_object_get(json_object_get(fl, "evidence"), "claims"), 0);
	assert_string_equal(
		json_string_value(json_object_get(claim, "application")),
		sh.id);
	assert_string_equal(
		json_string_value(json_object_get(claim, "program")),
		"shanghai-2025");
	assert_string_equal(json_string_value(json_object_get(claim, "number")),
			    "HT-2025-0456");
	json_decref(d);

	/* The replay reproduces the block from the recorded flags. */
	{
		long count = 0;
		FILE *out = tmpfile();

		assert_int_equal(office_replay(&f->o, out, &count, &e), 0);
		fclose(out);
	}
}

/* --- contract splitting ----------------------------------------------------------- */

static void test_splitting(void **state)
{
	struct fx *f = *state;
	struct appl a;
	struct office_result r, s1;
	json_t *d, *fl;

	/* Band: 900 000.00 <= value < 1 000 000.00, within 30 days. */
	appl_init(&a, "S1");
	a.number = "HT-S1";
	a.value = "950000.00";
	a.signed_on = "2025-08-01";
	s1 = apply(f, &a);
	assert_false(has_flag(f, s1.id, "contract_splitting"));

	appl_init(&a, "S2");
	a.number = "HT-S2";
	a.value = "900000.00";
	a.signed_on = "2025-08-31";
	r = apply(f, &a);
	fl = flag_of(f, r.id, "contract_splitting", &d);
	assert_non_null(fl);
	assert_string_equal(ev_str(fl, "total"), "1850000.00");
	assert_string_equal(ev_str(fl, "threshold"), "1000000.00");
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(fl, "evidence"), "contracts")),
			 2);
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(
				json_object_get(json_object_get(fl, "evidence"),
						"earlier"),
				0),
			"application")),
		s1.id);
	json_decref(d);

	/* Near misses: at the threshold (not under it), just below the
	 * band; then, between another pair of parties, 31 days apart (out of
	 * the window) and 30 days apart (in it). */
	appl_init(&a, "S3");
	a.number = "HT-S3";
	a.value = "1000000.00";
	a.signed_on = "2025-08-15";
	r = apply(f, &a);
	assert_false(has_flag(f, r.id, "contract_splitting"));
	appl_init(&a, "S4");
	a.number = "HT-S4";
	a.value = "899999.99";
	a.signed_on = "2025-08-16";
	r = apply(f, &a);
	assert_false(has_flag(f, r.id, "contract_splitting"));

	memcpy(a.applicant, party[6], sizeof(a.applicant));
	a.ref = "S5";
	a.number = "HT-S5";
	a.value = "990000.00";
	a.signed_on = "2025-08-01";
	apply(f, &a);
	a.ref = "S6";
	a.number = "HT-S6";
	a.value = "990000.00";
	a.signed_on = "2025-09-01"; /* 31 days later: outside */
	r = apply(f, &a);
	assert_false(has_flag(f, r.id, "contract_splitting"));
	a.ref = "S7";
	a.number = "HT-S7";
	a.value = "980000.00";
	a.signed_on = "2025-08-31"; /* 30 days after S5: inside */
	r = apply(f, &a);
	assert_true(has_flag(f, r.id, "contract_splitting"));
}

/* --- price -------------------------------------------------------------------------- */

static void test_price(void **state)
{
	struct fx *f = *state;
	struct appl a;
	struct office_result r;
	json_t *d, *fl;

	/* The reference is 14.00 per H100 hour; 1.5 x = 21.00. */
	appl_init(&a, "P1");
	a.number = "HT-P1";
	a.hours = 100;
	a.value = "2100.00"; /* 21.00: at the factor, not above it */
	r = apply(f, &a);
	assert_false(has_flag(f, r.id, "price_above_reference"));

	appl_init(&a, "P2");
	a.number = "HT-P2";
	a.hours = 100;
	a.value = "2101.00"; /* 21.01 */
	r = apply(f, &a);
	fl = flag_of(f, r.id, "price_above_reference", &d);
	assert_non_null(fl);
	assert_string_equal(ev_str(fl, "price_per_h100_hour"), "21.01");
	assert_string_equal(ev_str(fl, "reference_per_h100_hour"), "14.00");
	assert_string_equal(ev_str(fl, "factor"), "150%");
	assert_string_equal(ev_str(fl, "limit"), "21.00");
	json_decref(d);

	/* The strict measure turns the price screen off. */
	appl_init(&a, "P3");
	a.measure = "strict";
	a.number = "HT-P3";
	a.hours = 100;
	a.value = "5000.00";
	r = apply(f, &a);
	assert_false(has_flag(f, r.id, "price_above_reference"));
}

/* --- lists and region ------------------------------------------------------------------ */

static void test_lists(void **state)
{
	struct fx *f = *state;
	struct appl a;
	struct office_result r;
	struct qerr e;
	long n = 0;
	json_t *d, *fl;
	char csv[512];

	snprintf(csv, sizeof(csv),
		 "uscc,name,reason,source\n%s,\"Bad Supplier\",court ruling "
		 "2024-3,credit china\n",
		 party[5]);
	qerr_clear(&e);
	assert_int_equal(office_list_import(&f->o, "dishonest", csv,
					    strlen(csv), "d.csv", "admin",
					    1760000000, &n, &e),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(office_list_import(&f->o, "blacklist", csv,
					    strlen(csv), "d.csv", "admin",
					    1760000000, &n, &e),
			 Q_ERR_INVALID);

	appl_init(&a, "L1");
	a.number = "HT-L1";
	memcpy(a.supplier, party[5], sizeof(a.supplier));
	r = apply(f, &a);
	assert_int_equal(r.state, APP_INELIGIBLE);
	assert_true(r.blocked);
	fl = flag_of(f, r.id, "restricted_list", &d);
	assert_non_null(fl);
	assert_string_equal(ev_str(fl, "list"), "dishonest");
	assert_string_equal(ev_str(fl, "party"), "supplier");
	assert_string_equal(ev_str(fl, "name"), "Bad Supplier");
	assert_string_equal(ev_str(fl, "reason"), "court ruling 2024-3");
	json_decref(d);

	/* Near miss: party 4 is on no list. */
	appl_init(&a, "L2");
	a.number = "HT-L2";
	memcpy(a.supplier, party[4], sizeof(a.supplier));
	r = apply(f, &a);
	assert_false(has_flag(f, r.id, "restricted_list"));
}

static void test_region(void **state)
{
	struct fx *f = *state;
	struct appl a;
	struct office_result r;
	json_t *d, *fl;

	appl_init(&a, "C1");
	a.number = "HT-C1";
	a.location = "suzhou";
	r = apply(f, &a);
	assert_false(has_flag(f, r.id, "compute_outside_region"));
	appl_init(&a, "C2");
	a.number = "HT-C2";
	a.location = "hangzhou";
	r = apply(f, &a);
	fl = flag_of(f, r.id, "compute_outside_region", &d);
	assert_non_null(fl);
	assert_string_equal(ev_str(fl, "location"), "hangzhou");
	assert_int_equal(json_array_size(json_object_get(
				 json_object_get(fl, "evidence"), "allowed")),
			 2);
	json_decref(d);
	/* Near miss: a prefix of an allowed region is not that region. */
	appl_init(&a, "C3");
	a.number = "HT-C3";
	a.location = "shanghai-east";
	r = apply(f, &a);
	assert_true(has_flag(f, r.id, "compute_outside_region"));
}

/* --- the engine without a store ------------------------------------------------------- */

static void test_no_io(void **state)
{
	struct fx *f = *state;
	const struct policy *p = f->o.policies[0];
	struct screen_result *sr = calloc(1, sizeof(*sr));
	struct application ap;
	struct facts fa;
	struct appl a;
	struct qerr e;
	size_t len;
	const char *json;

	appl_init(&a, "N1");
	a.value = "3000000.00"; /* 300.00 per hour */
	a.location = "beijing";
	a.sup_ctrl = a.app_ctrl;
	json = appl_json(&a, &len);
	qerr_clear(&e);
	assert_int_equal(app_parse_json(json, len, &ap, &e), 0);
	assert_int_equal(app_receive(&ap, RECEIVED, &e), 0);
	assert_int_equal(facts_build(&ap, f->chips, NULL, &fa, &e), 0);
	assert_int_equal(screen_run(p, 0, &ap, &fa, NULL, sr, &e), 0);
	/* related party, price, region: the screens of the application
	 * alone; nothing that needs the store. */
	assert_int_equal(sr->nflags, 3);
	assert_int_equal(sr->flags[0].kind, SCREEN_RELATED_PARTY);
	assert_int_equal(sr->flags[1].kind, SCREEN_PRICE);
	assert_int_equal(sr->flags[2].kind, SCREEN_COMPUTE_REGION);
	assert_false(sr->blocked);
	app_release(&ap);
	free(sr);
}

/* A registry that knows nobody. */
static int no_controllers(void *ctx, const char *uscc,
			  struct screen_controller *out, size_t max, size_t *n,
			  struct qerr *e)
{
	(void)ctx;
	(void)uscc;
	(void)out;
	(void)max;
	(void)e;
	*n = 0;
	return Q_OK;
}

/* Screen a under no io and under a registry that knows nobody: the
 * related-party flag is the same, evidence and all (the simulation's
 * path takes no scratch, the office's does). */
static void expect_same_related(struct fx *f, const struct appl *a,
				int want_how)
{
	const struct policy *p = f->o.policies[0];
	struct screen_result *x = calloc(1, sizeof(*x));
	struct screen_result *y = calloc(1, sizeof(*y));
	struct screen_io io = {.controllers = no_controllers};
	struct application ap;
	struct facts fa;
	struct qerr e;
	size_t len;
	const char *json = appl_json(a, &len);

	qerr_clear(&e);
	assert_non_null(x);
	assert_non_null(y);
	assert_int_equal(app_parse_json(json, len, &ap, &e), 0);
	assert_int_equal(app_receive(&ap, RECEIVED, &e), 0);
	assert_int_equal(facts_build(&ap, f->chips, NULL, &fa, &e), 0);
	assert_int_equal(screen_run(p, 0, &ap, &fa, NULL, x, &e), 0);
	assert_int_equal(screen_run(p, 0, &ap, &fa, &io, y, &e), 0);
	assert_int_equal(x->nflags, y->nflags);
	assert_int_equal(x->blocked, y->blocked);
	assert_memory_equal(x->flags, y->flags,
			    x->nflags * sizeof(x->flags[0]));
	if (want_how < 0) {
		for (uint8_t i = 0; i < x->nflags; i++)
			assert_int_not_equal(x->flags[i].kind,
					     SCREEN_RELATED_PARTY);
	} else {
		assert_true(x->nflags > 0);
		assert_int_equal(x->flags[0].kind, SCREEN_RELATED_PARTY);
		assert_int_equal(x->flags[0].how, want_how);
	}
	app_release(&ap);
	free(x);
	free(y);
}

static void test_no_io_related(void **state)
{
	struct fx *f = *state;
	struct appl a;

	appl_init(&a, "M1");
	expect_same_related(f, &a, -1);
	a.sup_ctrl = a.app_ctrl; /* a controller of both */
	expect_same_related(f, &a, SCREEN_SHARED_CONTROLLER);
	appl_init(&a, "M2");
	a.sup_ctrl = party[0]; /* the applicant controls the supplier */
	expect_same_related(f, &a, SCREEN_CONTROLS);
	appl_init(&a, "M3");
	a.app_ctrl = party[1]; /* the supplier controls the applicant */
	expect_same_related(f, &a, SCREEN_CONTROLS);
	appl_init(&a, "M4");
	memcpy(a.supplier, a.applicant, sizeof(a.supplier));
	expect_same_related(f, &a, SCREEN_SAME_USCC);
}

/* --- the policy keys ---------------------------------------------------------------------- */

static void expect_policy_error(const char *screens, const char *want)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct policy *p = NULL;
	char buf[4096];
	const char *cut = strstr(policy_yaml, "screens:\n");
	const char *rest = strstr(policy_yaml, "measures:\n");
	bool found = false;

	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(cut - policy_yaml),
		 policy_yaml, screens, rest);
	assert_int_equal(policy_load_buf("t.yaml", buf, strlen(buf), &p, &d),
			 Q_ERR_POLICY);
	for (size_t i = 0; i < d.n; i++) {
		char line[600];

		snprintf(line, sizeof(line), "%s:%d:%d: %s", d.items[i].file,
			 d.items[i].line, d.items[i].col, d.items[i].msg);
		if (strstr(line, want))
			found = true;
		else
			print_message("other diagnostic: %s\n", line);
	}
	if (!found)
		fail_msg("no diagnostic with '%s'", want);
	diag_release(&d);
}

static void test_policy_errors(void **state)
{
	(void)state;
	expect_policy_error("screens:\n  twice-claim:\n    action: block\n",
			    "t.yaml:16:3: unknown screen 'twice-claim'");
	expect_policy_error(
		"screens:\n  price:\n    action: block\n    source: t\n",
		"t.yaml:16:3: missing key 'factor' in screen 'price'");
	expect_policy_error("screens:\n  price:\n    action: maybe\n"
			    "    factor: 150%\n    source: t\n",
			    "t.yaml:17:13: 'action' must be block, review or "
			    "off, not 'maybe'");
	expect_policy_error("screens:\n  price:\n    action: review\n"
			    "    factor: 90%\n    source: t\n",
			    "t.yaml:18:13: 'factor' must be at least 100%");
	expect_policy_error("screens:\n  related-party:\n    action: review\n"
			    "    window_days: 3\n    source: t\n",
			    "t.yaml:18:18: screen 'related-party' takes no "
			    "'window_days'");
	expect_policy_error(
		"screens:\n  price:\n    action: review\n"
		"    factor: 150%\n",
		"screen 'price' needs a 'source' or an 'assumption'");
	expect_policy_error("screens:\n  restricted-list:\n    action: block\n"
			    "    lists: [dishonest, grey]\n    source: t\n",
			    "t.yaml:18:24: unknown list 'grey'");
	expect_policy_error(
		"screens:\n  contract-splitting:\n    action: review\n"
		"    window_days: 30\n    threshold: \"1000000.00\"\n"
		"    just_under: 100%\n    source: t\n",
		"'just_under' must be above 0% and below 100%");
}

static void test_policy_rules(void **state)
{
	struct fx *f = *state;
	const struct policy *p = f->o.policies[0];
	const struct policy_measure *rent = &p->measures[0];
	const struct policy_measure *strict = &p->measures[1];

	assert_int_equal(rent->screens[SCREEN_RELATED_PARTY].action,
			 SCREEN_REVIEW);
	assert_int_equal(strict->screens[SCREEN_RELATED_PARTY].action,
			 SCREEN_BLOCK);
	assert_string_equal(
		p->rules[strict->screens[SCREEN_RELATED_PARTY].rule].id,
		"strict.screen.related-party");
	assert_int_equal(strict->screens[SCREEN_PRICE].action, SCREEN_OFF);
	/* The program-wide entries the strict measure did not replace. */
	assert_int_equal(strict->screens[SCREEN_DUPLICATE_CLAIM].action,
			 SCREEN_BLOCK);
	assert_int_equal(strict->screens[SCREEN_DUPLICATE_CLAIM].window_days,
			 5);
	assert_int_equal(rent->screens[SCREEN_CONTRACT_SPLITTING].threshold,
			 100000000);
	assert_int_equal(rent->screens[SCREEN_CONTRACT_SPLITTING].just_under,
			 1000);
	assert_int_equal(rent->screens[SCREEN_PRICE].factor, 15000);
	assert_int_equal(rent->screens[SCREEN_COMPUTE_REGION].nregions, 2);
	assert_string_equal(rent->screens[SCREEN_COMPUTE_REGION].regions[1],
			    "suzhou");
	assert_int_equal(rent->screens[SCREEN_RESTRICTED_LIST].lists, 3);
	assert_int_equal(p->rules[rent->screens[SCREEN_PRICE].rule].line, 29);
}

/* --- CSV --------------------------------------------------------------------------------- */

static void test_csv(void **state)
{
	static const char text[] = "\xef\xbb\xbf"
				   "a,\"b, \"\"c\"\"\",\n"
				   "\n"
				   "\"multi\nline\",x\r\n"
				   "last";
	char(*fl)[CSV_FIELD_MAX] = malloc(CSV_MAX_FIELDS * sizeof(*fl));
	struct csv c;
	struct qerr e;
	size_t n;

	(void)state;
	csv_init(&c, text, sizeof(text) - 1);
	assert_int_equal(csv_next(&c, fl, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_string_equal(fl[0], "a");
	assert_string_equal(fl[1], "b, \"c\"");
	assert_string_equal(fl[2], "");
	assert_int_equal(csv_next(&c, fl, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(fl[0], "multi\nline");
	assert_int_equal(c.record_line, 3);
	assert_int_equal(csv_next(&c, fl, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(fl[0], "last");
	assert_int_equal(c.record_line, 5);
	assert_int_equal(csv_next(&c, fl, &n, &e), 0);
	assert_int_equal(n, 0);

	csv_init(&c, "\"open", 5);
	assert_int_equal(csv_next(&c, fl, &n, &e), Q_ERR_INVALID);
	csv_init(&c, "\"a\"b", 4);
	assert_int_equal(csv_next(&c, fl, &n, &e), Q_ERR_INVALID);
	csv_init(&c, "a\xff", 2);
	assert_int_equal(csv_next(&c, fl, &n, &e), Q_ERR_INVALID);
	assert_non_null(strstr(e.msg, "not UTF-8"));
	csv_init(&c, "\xe4\xb8", 2); /* a cut character */
	assert_int_equal(csv_next(&c, fl, &n, &e), Q_ERR_INVALID);
	free(fl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clean, setup, teardown),
		cmocka_unit_test_setup_teardown(test_related_direct, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_related_registry, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_duplicate, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_across_programs,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_splitting, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_price, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_region, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_io_related, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_io, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_rules, setup,
						teardown),
		cmocka_unit_test(test_policy_errors),
		cmocka_unit_test(test_csv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
