/*
 * cmd_office.c - the program office verbs: init, apply, review, withdraw,
 * disburse, clawback, report, ledger check, audit verify.
 *
 * Each takes --db FILE; each that changes state takes --by NAME. The work
 * is in office/office.c; this file reads arguments and prints.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/cli.h"
#include "core/file.h"
#include "core/textwidth.h"
#include "engine/app.h"
#include "engine/errzh.h"
#include "engine/detail_zh.h"
#include "engine/lang.h"
#include "office/office.h"
#include "office/view.h"
#include "policy/holidays.h"
#include "sim/appcsv.h"

#define MAX_ARGS 4096

/* The options every office verb understands. */
struct oopts {
	const char *db, *by, *policy, *chips, *why, *rate, *value, *at;
	const char *received_at; /* apply: an administrator's import */
	const char *csv;	 /* apply: applications as CSV rows */
	const char *settled;	 /* settle: --value */
	/* The idempotency key of a verb that moves money (--ref). */
	const char *key;
	/* settle: every --invoice given, in order */
	const char *refs[OFFICE_INVOICES_MAX];
	int nrefs;
	int json, approve, reject;
	/* notice open --measure, notice export --format/--out, objection
	 * decide --uphold/--dismiss */
	const char *measure, *format, *out, *kind;
	int uphold, dismiss;
	/* every --policy given, in order (init loads several) */
	const char *policies[OFFICE_MAX_PROGRAMS];
	int npolicies;
	char *args[MAX_ARGS];
	int nargs;
	/* "en" or "zh": --lang, or the locale (cli_lang_arg) */
	const char *lang;
};

/* What --help says of --lang, for every verb that prints texts. */
#define LANG_HELP                                                              \
	"--lang zh (or LC_ALL, LC_MESSAGES or LANG starting zh) prints\n"      \
	"states, reasons, rule texts and history in Chinese (in --json, in\n"  \
	"the English keys' place); --lang en, English.\n"

/* What --help says of --lang for a verb whose output is mostly figures:
 * the language reaches its errors and the states it prints. */
#define LANG_ERR_HELP                                                          \
	"--lang en|zh (or LC_ALL, LC_MESSAGES or LANG starting zh) prints\n"   \
	"errors and states in Chinese (zh) or English (en).\n"

/* s padded with spaces to w terminal columns in buf (a char array): a
 * Chinese character takes two columns and three bytes, so "%-Ns" would
 * leave a Chinese column short. */
#define PAD(buf, s, w) textwidth_pad((buf), sizeof(buf), (s), (w))

/* The text in the language of o's output. */
#define TR(o, en, zh) (cli_zh((o)->lang) ? (zh) : (en))

/* An application's state in o's language. */
static const char *state_in(const struct oopts *o, const char *state)
{
	return cli_zh(o->lang) ? lang_state_zh(state) : state;
}

static int parse(int argc, char **argv, struct oopts *o, const char *usage)
{
	memset(o, 0, sizeof(*o));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			exit(0);
		}
		if (!strcmp(a, "--db"))
			slot = &o->db;
		else if (!strcmp(a, "--by"))
			slot = &o->by;
		else if (!strcmp(a, "--policy")) {
			if (o->npolicies == OFFICE_MAX_PROGRAMS) {
				fprintf(stderr,
					"quan: an office holds at most %d programs\n",
					OFFICE_MAX_PROGRAMS);
				return -1;
			}
			slot = &o->policies[o->npolicies++];
		} else if (!strcmp(a, "--chips"))
			slot = &o->chips;
		else if (!strcmp(a, "--why"))
			slot = &o->why;
		else if (!strcmp(a, "--lang"))
			slot = &o->lang;
		else if (!strcmp(a, "--rate"))
			slot = &o->rate;
		else if (!strcmp(a, "--approved-value"))
			slot = &o->value;
		else if (!strcmp(a, "--at"))
			slot = &o->at;
		else if (!strcmp(a, "--received-at"))
			slot = &o->received_at;
		else if (!strcmp(a, "--csv"))
			slot = &o->csv;
		else if (!strcmp(a, "--value"))
			slot = &o->settled;
		else if (!strcmp(a, "--kind"))
			slot = &o->kind;
		else if (!strcmp(a, "--measure"))
			slot = &o->measure;
		else if (!strcmp(a, "--format"))
			slot = &o->format;
		else if (!strcmp(a, "--out"))
			slot = &o->out;
		else if (!strcmp(a, "--ref"))
			slot = &o->key;
		else if (!strcmp(a, "--invoice")) {
			if (o->nrefs == OFFICE_INVOICES_MAX) {
				fprintf(stderr,
					"quan: a settlement records at most %d invoices\n",
					OFFICE_INVOICES_MAX);
				return -1;
			}
			slot = &o->refs[o->nrefs++];
		}
		if (slot) {
			if (i + 1 >= argc) {
				fprintf(stderr, "quan: %s needs a value\n", a);
				return -1;
			}
			*slot = argv[++i];
		} else if (!strcmp(a, "--json")) {
			o->json = 1;
		} else if (!strcmp(a, "--approve")) {
			o->approve = 1;
		} else if (!strcmp(a, "--reject")) {
			o->reject = 1;
		} else if (!strcmp(a, "--uphold")) {
			o->uphold = 1;
		} else if (!strcmp(a, "--dismiss")) {
			o->dismiss = 1;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "quan: unknown option '%s'\n\n%s", a,
				usage);
			return -1;
		} else if (o->nargs < MAX_ARGS) {
			o->args[o->nargs++] = argv[i];
		} else {
			fprintf(stderr, "quan: at most %d arguments\n",
				MAX_ARGS);
			return -1;
		}
	}
	/* A language other than en or zh ends the command (exit 2), as
	 * --help does, before anything is opened. */
	if (cli_lang_arg(argv[0], o->lang, &o->lang))
		exit(EXIT_BAD_POLICY);
	if (!o->db) {
		fprintf(stderr, "quan: --db FILE is required\n\n%s", usage);
		return -1;
	}
	o->policy = o->npolicies ? o->policies[0] : NULL;
	return 0;
}

static int need_by(const struct oopts *o)
{
	if (o->by && strlen(o->by) > 63) {
		fputs("quan: --by: at most 63 bytes (the audit chain keeps it whole)\n",
		      stderr);
		return -1;
	}
	if (o->by && *o->by)
		return 0;
	fputs("quan: --by NAME is required: every change records who made it\n",
	      stderr);
	return -1;
}

/* Open the office with the chip catalog; prints the error. */
static int open_office(struct office *off, const struct oopts *o,
		       struct chip_catalog **chips)
{
	struct qerr e;
	int rc = cli_load_chips(o->chips, chips);

	if (rc)
		return rc;
	qerr_clear(&e);
	if (office_open(off, o->db, *chips, &e)) {
		fprintf(stderr, "quan: %s\n", e.msg);
		chips_free(*chips);
		return EXIT_BAD_INPUT;
	}
	cli_clock_mark_in(off, o->lang);
	return 0;
}

static void close_office(struct office *off, struct chip_catalog *chips)
{
	office_close(off);
	chips_free(chips);
}

/* e's message in o's language (engine/errzh.h for Chinese), into buf. */
static const char *msg_in(const struct oopts *o, const struct qerr *e,
			  char *buf, size_t n)
{
	if (!cli_zh(o->lang))
		return e->msg;
	return errzh_message(qerr_name(e->code), e->field, e->msg, buf, n);
}

/* Print e in o's language; the exit code for it. */
static int fail_in(const struct oopts *o, const struct qerr *e)
{
	char zh[512];

	fprintf(stderr, "quan: %s\n", msg_in(o, e, zh, sizeof(zh)));
	return cli_exit_for(e->code);
}

static int64_t now(void)
{
	return cli_now();
}

/* A verb that takes no --ref refuses one rather than ignore it. */
static int no_ref(const struct oopts *o, const char *verb)
{
	if (!o->key)
		return 0;
	fprintf(stderr,
		"quan: %s takes no --ref: only the verbs that move money "
		"(approve, disburse, clawback, milestone, settle, uphold, "
		"dismiss) take an idempotency key\n",
		verb);
	return -1;
}

static const char *jstr(json_t *j, const char *k)
{
	const char *v = json_string_value(json_object_get(j, k));

	return v ? v : "";
}

/* Do mv by o->by under o->key (--ref); *answer is office_move's, which
 * the caller frees. Prints the error. */
static int move(struct office *off, const struct oopts *o,
		struct office_move *mv, json_t **answer)
{
	struct qerr e;

	qerr_clear(&e);
	mv->id = o->args[0];
	mv->key = o->key;
	if (office_move(off, mv, o->by, now(), answer, &e))
		return fail_in(o, &e);
	return 0;
}

/* Where the application's money stands after a move, closing the line
 * the verb began, and whether the answer was a replay of --ref's. */
static void print_totals(const struct oopts *o, json_t *a)
{
	printf(TR(o, " (paid %s of %s awarded, %s left to pay, %s recovered)\n",
		  "（已批准 %2$s，已付 %1$s，待付 %3$s，已追回 %4$s）\n"),
	       jstr(a, "paid"), jstr(a, "awarded"), jstr(a, "remaining"),
	       jstr(a, "recovered"));
	if (json_is_true(json_object_get(a, "replayed")))
		printf("--ref %s was used before with the same request: its "
		       "answer again, nothing moved\n",
		       o->key);
}

/* Load every --policy of o into the office, in order; prints each. */
static int load_policies(struct office *off, const struct oopts *o,
			 const char *by)
{
	for (int i = 0; i < o->npolicies; i++) {
		struct qerr e;
		bool is_new = false;

		qerr_clear(&e);
		if (office_load_policy(off, o->policies[i], by, now(), &is_new,
				       &e))
			return fail_in(o, &e);
		printf("%s: policy %s %s\n", o->db, o->policies[i],
		       is_new ? "loaded as a new version" : "already loaded");
	}
	return 0;
}

int cmd_init(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan init --db FILE --policy FILE [--policy FILE]... [--by NAME]\n"
		"Create a program office database (or open one) and load each\n"
		"policy: one office holds up to 16 programs (a province, or a\n"
		"national view). A changed policy is a new version; old\n"
		"decisions keep theirs. Each pool is funded with its budget per\n"
		"fiscal year.\n" LANG_ERR_HELP;
	struct oopts o;
	struct office off;
	struct chip_catalog *chips = NULL;
	int rc;

	if (parse(argc, argv, &o, usage))
		return EXIT_BAD_INPUT;
	if (!o.npolicies) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	if ((rc = open_office(&off, &o, &chips)))
		return rc;
	rc = load_policies(&off, &o, o.by ? o.by : "init");
	close_office(&off, chips);
	return rc;
}

int cmd_program(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan program add --db FILE --policy FILE [--policy FILE]...\n"
		"                        --by NAME\n"
		"Load more programs into an existing office (up to 16 in all);\n"
		"each is funded and audited as `quan init` does.\n" LANG_ERR_HELP;
	struct oopts o;
	struct office off;
	struct chip_catalog *chips = NULL;
	int rc;

	if (argc < 2 || strcmp(argv[1], "add")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc >= 2 && (!strcmp(argv[1], "--help") ||
				     !strcmp(argv[1], "-h"))
			       ? 0
			       : EXIT_BAD_INPUT;
	}
	if (parse(argc - 1, argv + 1, &o, usage) || need_by(&o))
		return EXIT_BAD_INPUT;
	if (!o.npolicies || o.nargs) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	if ((rc = open_office(&off, &o, &chips)))
		return rc;
	rc = load_policies(&off, &o, o.by);
	close_office(&off, chips);
	return rc;
}

#define APPLY_BATCH 256

static void print_result(const struct oopts *o, const struct office_result *r)
{
	char m[MONEY_TEXT_MAX];

	if (o->json) {
		char at[DATETIME_TEXT_MAX];
		json_t *j = json_pack(
			"{s:s,s:s*,s:s,s:s,s:s,s:b,s:s,s:b}", "application",
			r->id, "client_ref",
			r->client_ref[0] ? r->client_ref : NULL, "received_at",
			datetime_format(r->received_at, at), "state",
			app_state_name(r->state), "amount",
			money_format(r->amount, m), "existed", r->existed,
			"flags", r->flags, "blocked", r->blocked);
		char *t = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER)
			    : NULL;

		if (t)
			printf("%s\n", t);
		free(t);
		json_decref(j);
	} else {
		char st[64];

		printf("%-20s %s %16s%s%s%s%s\n", r->id,
		       PAD(st, state_in(o, app_state_name(r->state)), 11),
		       money_format(r->amount, m),
		       r->existed ? TR(o, "  (submitted before)",
				       "  （此前已提交）")
				  : "",
		       r->nflags ? TR(o, "  flags: ", "  标记：") : "",
		       r->flags,
		       r->blocked ? TR(o, " (blocked)", "（已阻止）") : "");
	}
}

/* One batch of CSV rows through the office: results printed, the worst
 * exit code kept. */
static int apply_rows(struct office *off, const struct oopts *o,
		      struct office_intake *in, size_t n, long *lines,
		      struct office_result *res, int *rcs, struct qerr *errs,
		      int *worst)
{
	struct qerr e;
	int rc;

	qerr_clear(&e);
	rc = office_intake_batch(off, in, n, now(), res, rcs, errs, &e);
	for (size_t k = 0; k < n; k++) {
		if (rc)
			fprintf(stderr, "%s:%ld: not recorded: %s\n", o->csv,
				lines[k], e.msg);
		else if (rcs[k]) {
			char zh[512];

			fprintf(stderr, "%s:%ld: %s\n", o->csv, lines[k],
				msg_in(o, &errs[k], zh, sizeof(zh)));
			if (cli_exit_for(rcs[k]) > *worst)
				*worst = cli_exit_for(rcs[k]);
		} else {
			print_result(o, &res[k]);
		}
		free((char *)in[k].json);
	}
	fflush(stdout);
	if (rc && cli_exit_for(rc) > *worst)
		*worst = cli_exit_for(rc);
	return rc;
}

/* quan apply --csv: the rows of an application CSV, in order, in batches;
 * a row's received_at makes it an administrator's import. */
static int apply_csv(const struct oopts *o)
{
	static struct office_result res[APPLY_BATCH];
	static int rcs[APPLY_BATCH];
	static struct qerr errs[APPLY_BATCH];
	static struct office_intake in[APPLY_BATCH];
	static long lines[APPLY_BATCH];
	struct office off;
	struct chip_catalog *chips = NULL;
	struct appcsv r;
	struct qerr e;
	char *buf = NULL;
	size_t len = 0, n = 0;
	int worst = 0, rc;

	qerr_clear(&e);
	if (file_read(o->csv, APPCSV_MAX_BYTES, "applications", &buf, &len, &e))
		return fail_in(o, &e);
	if ((rc = open_office(&off, o, &chips))) {
		free(buf);
		return rc;
	}
	rc = appcsv_open(&r, o->csv, buf, len, false, &e);
	while (!rc) {
		char *json;
		size_t jl;
		bool has_at;
		int64_t at;
		size_t before = r.c.pos;

		rc = appcsv_next(&r, &json, &jl, NULL, &has_at, &at, &e);
		if (rc) {
			/* A bad row is refused alone, with its place. */
			fprintf(stderr, "%s\n", e.msg);
			if (cli_exit_for(rc) > worst)
				worst = cli_exit_for(rc);
			if (rc != Q_ERR_NOMEM && r.line > 0 &&
			    r.c.pos > before) {
				rc = Q_OK;
				continue;
			}
			break;
		}
		if (json) {
			in[n] = (struct office_intake){
				.json = json,
				.len = jl,
				.by = o->by,
				.received_at = has_at ? at : now(),
				.imported = has_at};
			lines[n++] = r.line;
		}
		if (n == APPLY_BATCH || (!json && n)) {
			if (apply_rows(&off, o, in, n, lines, res, rcs, errs,
				       &worst))
				break;
			n = 0;
		}
		if (!json)
			break;
	}
	if (rc && cli_exit_for(rc) > worst)
		worst = cli_exit_for(rc);
	for (size_t k = 0; k < n; k++)
		free((char *)in[k].json);
	appcsv_release(&r);
	free(buf);
	close_office(&off, chips);
	return worst;
}

int cmd_apply(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan apply --db FILE --by NAME [--received-at TIME] [--json]\n"
		"                  APPLICATION.json...\n"
		"       quan apply --db FILE --by NAME --csv FILE.csv [--json]\n"
		"       (each also takes [--lang en|zh])\n"
		"Validate and decide each application; reserve its amount\n"
		"(first come first served), queue it (pro-rata round) or\n"
		"waitlist it when the pool cannot cover it. The office stamps\n"
		"each with its own clock and numbers it (PREFIX-YEAR-NNNNNN);\n"
		"each output line begins with that number. Re-submitting an\n"
		"application with the same client_ref and bytes is harmless.\n"
		"Applications are committed in batches of up to 256 (one fsync\n"
		"each); a result is printed only once its batch is on disk, and\n"
		"a bad application is refused alone.\n"
		"--received-at TIME (like 2025-09-01T10:00:00+08:00) imports\n"
		"historical applications as received then: an administrator's\n"
		"import, audited as such (never open to HTTP).\n"
		"--csv FILE.csv takes the applications as CSV rows (columns in\n"
		"docs/simulate.md); a row with a received_at is an audited import\n"
		"received then, like --received-at. Rows are applied in order.\n" LANG_HELP;
	static const char *texts[APPLY_BATCH];
	static size_t lens[APPLY_BATCH];
	static struct office_result res[APPLY_BATCH];
	static int rcs[APPLY_BATCH];
	static struct qerr errs[APPLY_BATCH];
	static const char *names[APPLY_BATCH];
	static struct office_intake in[APPLY_BATCH];
	struct oopts o;
	struct office off;
	struct chip_catalog *chips = NULL;
	int worst = 0, rc;
	int i = 0;

	int64_t received_at = 0;

	if (parse(argc, argv, &o, usage) || need_by(&o) ||
	    no_ref(&o, "apply (its key is the application's client_ref)"))
		return EXIT_BAD_INPUT;
	if (!o.nargs == !o.csv || (o.csv && o.received_at)) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	if (o.csv)
		return apply_csv(&o);
	if (o.received_at) {
		struct qerr e;

		qerr_clear(&e);
		if (datetime_parse(o.received_at, strlen(o.received_at),
				   &received_at, NULL, "--received-at", &e))
			return fail_in(&o, &e);
	}
	if ((rc = open_office(&off, &o, &chips)))
		return rc;
	while (i < o.nargs) {
		size_t n = 0;
		struct qerr e;

		/* Read up to a batch; an unreadable file is reported alone. */
		for (; i < o.nargs && n < APPLY_BATCH; i++) {
			char *text = NULL;

			qerr_clear(&e);
			if (file_read(o.args[i], APP_MAX_BYTES,
				      "an application", &text, &lens[n], &e)) {
				fprintf(stderr, "%s: %s\n", o.args[i], e.msg);
				if (cli_exit_for(e.code) > worst)
					worst = cli_exit_for(e.code);
				continue;
			}
			texts[n] = text;
			names[n++] = o.args[i];
		}
		qerr_clear(&e);
		int64_t t = now();

		for (size_t k = 0; k < n; k++) {
			in[k].json = texts[k];
			in[k].len = lens[k];
			in[k].by = o.by;
			in[k].received_at = o.received_at ? received_at : t;
			in[k].imported = o.received_at != NULL;
		}
		rc = office_intake_batch(&off, in, n, t, res, rcs, errs, &e);
		for (size_t k = 0; k < n; k++) {
			if (rc) {
				fprintf(stderr, "%s: not recorded: %s\n",
					names[k], e.msg);
			} else if (rcs[k]) {
				char zh[512];

				fprintf(stderr, "%s: %s\n", names[k],
					msg_in(&o, &errs[k], zh, sizeof(zh)));
				if (cli_exit_for(rcs[k]) > worst)
					worst = cli_exit_for(rcs[k]);
			} else {
				print_result(&o, &res[k]);
			}
			free((char *)texts[k]);
		}
		fflush(stdout);
		if (rc) {
			worst = cli_exit_for(rc) > worst ? cli_exit_for(rc)
							 : worst;
			break;
		}
	}
	close_office(&off, chips);
	return worst;
}

int cmd_review(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan review --db FILE ID --approve|--reject --by NAME\n"
		"                   [--rate RATE] [--approved-value YUAN] [--why TEXT]\n"
		"                   [--ref KEY] [--lang en|zh]\n"
		"       quan review --db FILE ID ID... --approve --by NAME\n"
		"                   [--rate RATE] [--ref KEY] [--json]\n"
		"Approval is the award: it posts the reservation, in full or at\n"
		"a lower approved rate (20%, 12.5%, or basis points: 2000) or\n"
		"value; the rest returns\n"
		"to the pool. Above the policy's threshold two different\n"
		"approvers are needed; the second confirms the first's amount\n"
		"(or lowers it with --rate or --approved-value), never raises it.\n"
		"--ref KEY (an approval) is an idempotency key: the same key and\n"
		"request again answer as the first time and move nothing; the\n"
		"same key with another request is refused.\n"
		"Several ids approve each under the same rules, each in its own\n"
		"transaction and under --ref's key; each is answered approved,\n"
		"waiting_second_approver or refused (and why), and the exit is 1\n"
		"when any was refused.\n" LANG_HELP;
	struct oopts o;
	struct office off;
	struct chip_catalog *chips = NULL;
	struct office_result res;
	struct qerr e;
	rate_bp rate = -1;
	money_t value = -1;
	char m[MONEY_TEXT_MAX];
	int rc;

	if (parse(argc, argv, &o, usage) || need_by(&o))
		return EXIT_BAD_INPUT;
	/* Several ids: a bulk approval (cmd_bulk.c), each id answered. */
	if (o.approve && !o.reject && o.nargs > 1 && !o.value)
		return cli_review_bulk(
			o.db, o.chips, (const char *const *)o.args,
			(size_t)o.nargs, o.rate, o.key, o.by, o.json, o.lang);
	if (o.nargs != 1 || o.approve == o.reject) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	qerr_clear(&e);
	if (o.rate &&
	    rate_parse_given(o.rate, strlen(o.rate), &rate, "--rate", &e))
		return fail_in(&o, &e);
	if (o.value && money_parse(o.value, strlen(o.value), &value,
				   "--approved-value", &e))
		return fail_in(&o, &e);
	if (o.reject && no_ref(&o, "review --reject"))
		return EXIT_BAD_INPUT;
	if ((rc = open_office(&off, &o, &chips)))
		return rc;
	if (o.approve) {
		json_t *a = NULL;

		rc = move(&off, &o,
			  &(struct office_move){.verb = OFFICE_MOVE_APPROVE,
						.rate = rate,
						.value = value},
			  &a);
		close_office(&off, chips);
		if (rc)
			return rc;
		printf("%s %s %s", jstr(a, "id"),
		       state_in(&o, jstr(a, "state")), jstr(a, "amount"));
		if (json_is_true(json_object_get(a, "second_approval_needed")))
			printf(TR(&o,
				  ": approved first by %s, a second approver "
				  "posts it",
				  "：%s 已作第一次审批，待第二审批人确认入账"),
			       jstr(a, "first_approver"));
		print_totals(&o, a);
		json_decref(a);
		return 0;
	}
	rc = office_reject(&off, o.args[0], o.why, o.by, now(), &res, &e);
	close_office(&off, chips);
	if (rc)
		return fail_in(&o, &e);
	printf("%s %s %s\n", res.id, state_in(&o, app_state_name(res.state)),
	       money_format(res.amount, m));
	return 0;
}

int cmd_withdraw(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan withdraw --db FILE ID --by NAME\n"
		"Release a reservation: the money returns to the pool and the\n"
		"waitlist is served.\n" LANG_ERR_HELP;
	struct oopts o;
	struct office off;
	struct chip_catalog *chips = NULL;
	struct office_result res;
	struct qerr e;
	int rc;

	if (parse(argc, argv, &o, usage) || need_by(&o))
		return EXIT_BAD_INPUT;
	if (o.nargs != 1) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	if (no_ref(&o, "withdraw"))
		return EXIT_BAD_INPUT;
	if ((rc = open_office(&off, &o, &chips)))
		return rc;
	qerr_clear(&e);
	rc = office_withdraw(&off, o.args[0], o.by, now(), &res, &e);
	close_office(&off, chips);
	if (rc)
		return fail_in(&o, &e);
	printf("%s %s\n", res.id, state_in(&o, app_state_name(res.state)));
	return 0;
}

int cmd_settle(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan settle --db FILE ID --value YUAN --by NAME\n"
		"                   [--invoice INVOICE]... [--ref KEY]\n"
		"Settle an awarded application: the approved or incurred value\n"
		"(at most the contract's face value) replaces the contract's, the\n"
		"application is decided again on it as when it was received, and\n"
		"the award becomes the lesser of that decision and the award; the\n"
		"difference returns to the pool. Each --invoice records an\n"
		"invoice; --ref KEY is an idempotency key.\n"
		"A larger incurred amount needs a new application; an award below\n"
		"what was paid needs a clawback first.\n" LANG_ERR_HELP;
	struct oopts o;
	struct office off;
	struct chip_catalog *chips = NULL;
	struct qerr e;
	json_t *a = NULL;
	money_t value;
	int rc;

	if (parse(argc, argv, &o, usage) || need_by(&o))
		return EXIT_BAD_INPUT;
	if (o.nargs != 1 || !o.settled) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	qerr_clear(&e);
	if (money_parse(o.settled, strlen(o.settled), &value, "--value", &e))
		return fail_in(&o, &e);
	if ((rc = open_office(&off, &o, &chips)))
		return rc;
	rc = move(&off, &o,
		  &(struct office_move){.verb = OFFICE_MOVE_SETTLE,
					.value = value,
					.invoices = o.refs,
					.ninvoices = (size_t)o.nrefs},
		  &a);
	close_office(&off, chips);
	if (rc)
		return rc;
	printf("%s %s %s released %s (was %s);", jstr(a, "id"),
	       state_in(&o, jstr(a, "state")), jstr(a, "awarded"),
	       jstr(a, "released"), jstr(a, "awarded_before"));
	print_totals(&o, a);
	json_decref(a);
	return 0;
}

/* disburse and clawback: ID AMOUNT. */
static int money_verb(int argc, char **argv, bool clawback)
{
	static const char usage_d[] =
		"usage: quan disburse --db FILE ID AMOUNT --by NAME [--ref KEY]\n"
		"Pay a tranche of an award (never more than awarded). Give\n"
		"--ref KEY (any 1 to 128 printable characters, unique to this\n"
		"payment) to make a retry safe: the same key and request answer\n"
		"as the first time and pay nothing; without it each run pays.\n" LANG_ERR_HELP;
	static const char usage_c[] =
		"usage: quan clawback --db FILE ID AMOUNT --why TEXT --by NAME\n"
		"                     [--ref KEY]\n"
		"Record money recovered (never more than was paid); it returns\n"
		"to the pool or to the treasury as the policy says.\n" LANG_ERR_HELP;
	const char *usage = clawback ? usage_c : usage_d;
	struct oopts o;
	struct office off;
	struct chip_catalog *chips = NULL;
	struct qerr e;
	json_t *a = NULL;
	money_t amount;
	int rc;

	if (parse(argc, argv, &o, usage) || need_by(&o))
		return EXIT_BAD_INPUT;
	if (o.nargs != 2) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	qerr_clear(&e);
	if (money_parse(o.args[1], strlen(o.args[1]), &amount, "amount", &e))
		return fail_in(&o, &e);
	if ((rc = open_office(&off, &o, &chips)))
		return rc;
	rc = move(&off, &o,
		  &(struct office_move){.verb = clawback ? OFFICE_MOVE_CLAWBACK
							 : OFFICE_MOVE_DISBURSE,
					.amount = amount,
					.why = o.why},
		  &a);
	close_office(&off, chips);
	if (rc)
		return rc;
	printf("%s %s %s", jstr(a, "id"), clawback ? "recovered" : "paid",
	       jstr(a, "amount"));
	print_totals(&o, a);
	json_decref(a);
	return 0;
}

int cmd_disburse(int argc, char **argv)
{
	return money_verb(argc, argv, false);
}

int cmd_clawback(int argc, char **argv)
{
	return money_verb(argc, argv, true);
}

static int report_pool(void *arg, const struct office_pool_figures *f)
{
	const struct oopts *o = arg;
	char b[6][MONEY_TEXT_MAX];

	printf("%-14s %-10s %d %16s %16s %16s %16s %16s %14s", f->program,
	       f->pool, f->year, money_format(f->budget, b[0]),
	       money_format(f->available, b[1]),
	       money_format(f->reserved, b[2]), money_format(f->awarded, b[3]),
	       money_format(f->paid, b[4]), money_format(f->recovered, b[5]));
	for (int s = 0; s < APP__STATE_COUNT; s++)
		if (f->count[s])
			printf(" %s:%ld", state_in(o, app_state_name(s)),
			       f->count[s]);
	if (f->until)
		printf(" committed:%d-%d", f->year, f->until);
	printf("\n");
	return 0;
}

/* Print j indented (the CLI's JSON) and drop it. */
static void print_json(json_t *j)
{
	char *txt = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (txt)
		puts(txt);
	free(txt);
	json_decref(j);
}

static const char *js(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

/* One line of sums (a program, or the office) as the pools table has. */
static void report_sums(const struct oopts *o, const char *name, json_t *t)
{
	json_t *counts = json_object_get(t, "applications"), *v;
	const char *st;

	printf("%-25s %-4s %16s %16s %16s %16s %16s %14s", name, "",
	       js(t, "budget"), js(t, "available"), js(t, "reserved"),
	       js(t, "awarded"), js(t, "paid"), js(t, "recovered"));
	json_object_foreach(counts, st, v) if (json_integer_value(v)) printf(
		" %s:%lld", state_in(o, st), (long long)json_integer_value(v));
	printf("\n");
}

/* One line of cumulative totals (a pool, a program or the office). */
static void report_cumulative(const char *name, const char *pool, json_t *year,
			      json_t *t)
{
	json_t *c = json_object_get(t, "totals");
	char y[16] = "";

	if (json_is_integer(year))
		snprintf(y, sizeof(y), "%lld",
			 (long long)json_integer_value(year));
	printf("%-14s %-10s %-4s %16s %16s %16s\n", name, pool, y,
	       js(c, "awarded"), js(c, "paid"), js(c, "recovered"));
}

/* The second table of the report: what moved since each pool opened, where
 * the first shows what each account holds now. */
static void report_totals(json_t *j)
{
	json_t *p;
	size_t i;

	printf("\ncumulative totals (money moved since the pool opened; awarded is net of\n"
	       "awards reversed or reduced, recovered includes money returned to the pool)\n");
	printf("%-14s %-10s %-4s %16s %16s %16s\n", "program", "pool", "year",
	       "awarded", "paid", "recovered");
	json_array_foreach(json_object_get(j, "pools"), i, p) report_cumulative(
		js(p, "program"), js(p, "pool"), json_object_get(p, "year"), p);
	json_array_foreach(json_object_get(j, "programs"), i, p)
		report_cumulative(js(p, "program"), "", NULL, p);
	report_cumulative("all programs", "", NULL,
			  json_object_get(j, "total"));
}

static void report_self_reliance(json_t *sr)
{
	json_t *m;
	size_t i;

	printf("\ndomestic chips in subsidised compute (awarded and reserved compute contracts)\n");
	printf("%-8s %5s %16s %16s %8s %14s %14s %8s\n", "month", "apps",
	       "subsidy", "domestic", "share", "H100-eq hours", "domestic",
	       "share");
	json_array_foreach(json_object_get(sr, "months"), i, m) printf(
		"%-8s %5lld %16s %16s %8s %14lld %14lld %8s\n", js(m, "month"),
		(long long)json_integer_value(
			json_object_get(m, "applications")),
		js(m, "subsidy"), js(m, "domestic_subsidy"),
		js(m, "share_yuan"),
		(long long)json_integer_value(json_object_get(m, "h100_hours")),
		(long long)json_integer_value(
			json_object_get(m, "domestic_h100_hours")),
		js(m, "share_hours"));
	m = json_object_get(sr, "total");
	printf("%-8s %5lld %16s %16s %8s %14lld %14lld %8s\n", "all",
	       (long long)json_integer_value(
		       json_object_get(m, "applications")),
	       js(m, "subsidy"), js(m, "domestic_subsidy"), js(m, "share_yuan"),
	       (long long)json_integer_value(json_object_get(m, "h100_hours")),
	       (long long)json_integer_value(
		       json_object_get(m, "domestic_h100_hours")),
	       js(m, "share_hours"));
	m = json_object_get(sr, "forecast_2027");
	printf("forecast: domestic chips %s of China's AI accelerator market by 2027 (%s)\n",
	       js(m, "share"), js(m, "source"));
}

int cmd_report(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan report --db FILE [--json]\n"
		"Per pool and fiscal year, the balances (what each account holds\n"
		"now): budget, available, reserved, awarded, paid, recovered, and\n"
		"the applications by state; then the sums per program and for the\n"
		"whole office; then the cumulative totals (awarded, paid and\n"
		"recovered since the pool opened; \"totals\" in --json); and the share of\n"
		"subsidised compute on domestic chips (in yuan and in\n"
		"H100-equivalent hours, per month) beside the 55 % forecast for\n"
		"2027.\n" LANG_ERR_HELP;
	struct oopts o;
	struct office off;
	struct chip_catalog *chips = NULL;
	struct qerr e;
	json_t *j = NULL, *p;
	size_t i;
	int rc;

	if (parse(argc, argv, &o, usage))
		return EXIT_BAD_INPUT;
	if ((rc = open_office(&off, &o, &chips)))
		return rc;
	qerr_clear(&e);
	rc = view_report(&off, &j, &e);
	if (!rc && o.json) {
		print_json(j);
	} else if (!rc) {
		printf("balances (what each account holds now)\n");
		printf("%-14s %-10s %-4s %16s %16s %16s %16s %16s %14s  applications\n",
		       "program", "pool", "year", "budget", "available",
		       "reserved", "awarded", "paid", "recovered");
		rc = office_pools_each(&off, report_pool, &o, &e);
		printf("\n");
		json_array_foreach(json_object_get(j, "programs"), i, p)
			report_sums(&o, js(p, "program"), p);
		report_sums(&o, "all programs", json_object_get(j, "total"));
		report_totals(j);
		report_self_reliance(json_object_get(j, "self_reliance"));
		json_decref(j);
	}
	close_office(&off, chips);
	return rc ? fail_in(&o, &e) : 0;
}

int cmd_ledger(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan ledger check --db FILE\n"
		"Prove, to the fen, for every pool and year: budget = available\n"
		"+ reserved + awarded + paid + recovered + treasury, and that\n"
		"debits equal credits. Exit 1 naming the account on a difference.\n" LANG_ERR_HELP;
	struct oopts o;
	struct office off;
	struct chip_catalog *chips = NULL;
	struct qerr e;
	long problems;
	int rc;

	if (argc >= 2 && cli_is_help(argv[1])) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "check")) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	if (parse(argc - 1, argv + 1, &o, usage))
		return EXIT_BAD_INPUT;
	if ((rc = open_office(&off, &o, &chips)))
		return rc;
	qerr_clear(&e);
	problems = office_ledger_check(&off, stdout, &e);
	close_office(&off, chips);
	if (problems < 0)
		return fail_in(&o, &e);
	if (problems) {
		printf("ledger check: %ld problems\n", problems);
		return 1;
	}
	printf("ledger check: every pool balances to the fen; debits equal credits\n");
	return 0;
}

static int audit_replay(int argc, char **argv)
{
	static const char usage[] = "usage: quan audit replay --db FILE\n";
	struct oopts o;
	struct office off;
	struct chip_catalog *chips = NULL;
	struct qerr e;
	long count = 0, differ;
	int rc;

	if (parse(argc - 1, argv + 1, &o, usage))
		return EXIT_BAD_INPUT;
	if ((rc = open_office(&off, &o, &chips)))
		return rc;
	qerr_clear(&e);
	differ = office_replay(&off, stdout, &count, &e);
	close_office(&off, chips);
	if (differ < 0)
		return fail_in(&o, &e);
	printf("audit replay: %ld applications re-decided, %ld differ\n", count,
	       differ);
	return differ ? 1 : 0;
}

int cmd_audit(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan audit verify --db FILE\n"
		"                         [--anchor ANCHOR [--pub KEYFILE.pub]]\n"
		"       quan audit replay --db FILE\n"
		"       quan audit anchor --db FILE --key KEYFILE [--out ANCHOR]\n"
		"verify: re-walk the audit chain and name the first event that\n"
		"was changed, removed or reordered (exit 1). With --anchor, also\n"
		"check the anchor's signature (against --pub when given) and that\n"
		"the chain still holds its head; exit 1 naming the gap if not.\n"
		"anchor: sign the chain's head with the office key\n"
		"(`quan audit anchor --help`).\n"
		"replay: re-decide every application under the policy version it\n"
		"was decided with; name each that comes out differently (exit 1).\n" LANG_ERR_HELP;
	struct oopts o;
	struct office off;
	struct chip_catalog *chips = NULL;
	struct qerr e;
	int64_t count = 0, bad = 0;
	char why[256];
	int rc;

	if (argc >= 2 && !strcmp(argv[1], "replay"))
		return audit_replay(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "anchor"))
		return cmd_audit_anchor(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "verify") &&
	    cli_audit_anchor_asked(argc, argv))
		return cmd_audit_verify_anchor(argc, argv);
	if (argc >= 2 && cli_is_help(argv[1])) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "verify")) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	if (parse(argc - 1, argv + 1, &o, usage))
		return EXIT_BAD_INPUT;
	if ((rc = open_office(&off, &o, &chips)))
		return rc;
	qerr_clear(&e);
	rc = office_audit_verify(&off, &count, &bad, why, sizeof(why), &e);
	close_office(&off, chips);
	if (rc < 0)
		return fail_in(&o, &e);
	if (rc) {
		printf("audit verify: %s\n", why);
		return 1;
	}
	printf("audit verify: %lld events, chain intact\n", (long long)count);
	return 0;
}

static const char *xfer_flags(uint32_t f)
{
	if (f & LEDGER_PENDING)
		return "pending";
	if (f & LEDGER_POST_PENDING)
		return "post";
	if (f & LEDGER_VOID_PENDING)
		return "void";
	return "posted";
}

/* A transfer's kind in Chinese. */
static const char *xfer_flags_zh(uint32_t f)
{
	if (f & LEDGER_PENDING)
		return "预留";
	if (f & LEDGER_POST_PENDING)
		return "入账";
	if (f & LEDGER_VOID_PENDING)
		return "释放";
	return "已入账";
}

static int show_transfer(void *arg, const struct ledger_transfer *t)
{
	const struct oopts *o = arg;
	char m[MONEY_TEXT_MAX], fl[96];

	printf("    %-40s %s %16s\n", t->id,
	       PAD(fl,
		   cli_zh(o->lang) ? xfer_flags_zh(t->flags)
				   : xfer_flags(t->flags),
		   8),
	       money_format(t->amount, m));
	return 0;
}

/* An audit action's name in Chinese, as the dashboard's history gives it
 * (engine/detail_zh.h); the name itself when the table lacks it (a code,
 * which a Chinese page may show). */
static const char *action_zh(const char *a)
{
	const char *zh = detail_zh_action(a);

	return zh ? zh : a;
}

/* An event's detail in o's language: in Chinese, "label：value" pairs as
 * the dashboard's history shows them (engine/detail_zh.h); in English, the
 * stored JSON. *tofree is the caller's to free. */
static const char *detail_in(const struct oopts *o, const char *detail,
			     char **tofree)
{
	*tofree = NULL;
	if (!detail || !cli_zh(o->lang))
		return detail ? detail : "";
	*tofree = detail_zh_text(detail);
	return *tofree ? *tofree : detail;
}

static int show_event(void *arg, const struct store_event *ev)
{
	const struct oopts *o = arg;
	char *f;
	const char *d = detail_in(o, ev->detail, &f);

	char act[96], who[160];

	printf("    #%-6lld %s %s %s\n", (long long)ev->seq,
	       PAD(act, cli_zh(o->lang) ? action_zh(ev->action) : ev->action,
		   14),
	       PAD(who, ev->who, 16), d);
	free(f);
	return 0;
}

/* The decision d in words after label ("decision", "settled"): rate,
 * amount, failed rules, and the trace with each rule's file:line:column. */
static void print_decision(const struct oopts *o, const char *label, json_t *d)
{
	char lb[64];
	json_t *v;
	size_t i;

	if (!json_is_object(d))
		return;
	if (cli_zh(o->lang) && lang_localize_zh(d))
		return;
	printf(TR(o, "  %s %s, rate %s, amount %s\n",
		  "  %s %s，比例 %s，金额 %s 元\n"),
	       PAD(lb, label, 10),
	       json_is_true(json_object_get(d, "eligible"))
		       ? TR(o, "eligible", "符合条件")
		       : TR(o, "not eligible", "不符合条件"),
	       json_string_value(json_object_get(d, "rate")),
	       json_string_value(json_object_get(d, "amount")));
	json_array_foreach(json_object_get(d, "reasons"), i, v) printf(
		TR(o, "    not met  %s  (%s)\n", "    未满足  %s  （%s）\n"),
		json_string_value(json_object_get(v, "rule")),
		json_string_value(json_object_get(v, "at")));
	json_array_foreach(json_object_get(d, "trace"), i, v)
		printf("    %-44s %s  (%s)\n",
		       json_string_value(json_object_get(v, "rule")),
		       json_string_value(json_object_get(v, "words")),
		       json_string_value(json_object_get(v, "at")));
}

int cmd_queue(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan queue --db FILE PROGRAM [--json] [--lang en|zh]\n"
		"The review queue of a program: its reserved applications\n"
		"awaiting approval, in the order a reviewer takes them. Where a\n"
		"measure gives priority to holders of another program's award\n"
		"(policy priority:), their applications come first, each naming\n"
		"the award; then the rest, oldest first.\n" LANG_HELP;
	struct oopts o;
	struct office off;
	struct chip_catalog *chips = NULL;
	struct qerr e;
	json_t *j = NULL, *a;
	size_t i;
	int rc;

	if (parse(argc, argv, &o, usage))
		return EXIT_BAD_INPUT;
	if (o.nargs != 1) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	if ((rc = open_office(&off, &o, &chips)))
		return rc;
	qerr_clear(&e);
	rc = view_queue(&off, o.args[0], now(), &j, &e);
	if (!rc && o.json) {
		if (cli_zh(o.lang))
			lang_localize_zh(j);
		print_json(j);
	} else if (!rc) {
		char h[4][64];

		if (cli_zh(o.lang))
			printf("%-4s %s %s %s %*s%s  %s %s\n", "#",
			       PAD(h[0], "编号", 20), PAD(h[1], "支持措施", 16),
			       PAD(h[2], "统一社会信用代码", 18),
			       (int)(16 - textwidth("申请金额")), "",
			       "申请金额", PAD(h[3], "受理时间", 25), "优先");
		else
			printf("%-4s %-20s %-16s %-18s %16s  %-25s %s\n", "#",
			       "id", "measure", "uscc", "requested", "received",
			       "priority");
		json_array_foreach(j, i, a)
		{
			json_t *pr = json_object_get(a, "priority");

			printf("%-4zu %-20s %-16s %-18s %16s  %-25s %s%s\n",
			       i + 1, js(a, "id"), js(a, "measure"),
			       js(a, "uscc"), js(a, "requested"),
			       js(a, "received_at"),
			       pr ? TR(&o, "holds ", "持有 ") : "",
			       pr ? js(pr, "holds") : "");
		}
		if (json_array_size(j) == 0)
			printf(TR(&o, "(no application awaits review in %s)\n",
				  "（%s 没有待审核的申请）\n"),
			       o.args[0]);
		json_decref(j);
	}
	close_office(&off, chips);
	return rc ? fail_in(&o, &e) : 0;
}

/* Keep in *(json_t **)arg the detail of the latest "settle" event. */
static int last_settle(void *arg, const struct store_event *ev)
{
	json_t **out = arg;
	json_error_t err;

	if (strcmp(ev->action, "settle") || !ev->detail)
		return 0;
	json_decref(*out);
	*out = json_loads(ev->detail, 0, &err);
	return 0;
}

/* The latest settlement: the settled value, the award before and after,
 * what returned to the pool, the invoices, and the settled decision. */
static void print_settlement(const struct oopts *o, json_t *s)
{
	json_t *inv = json_object_get(s, "invoices"), *v;
	size_t i;

	printf(TR(o,
		  "  settlement value %s of %s: awarded %s (was %s), released %s\n",
		  "  结算      结算金额 %s（合同 %s）：批准 %s（原 %s），释放 %s\n"),
	       json_string_value(json_object_get(s, "value")),
	       json_string_value(json_object_get(s, "face_value")),
	       json_string_value(json_object_get(s, "awarded")),
	       json_string_value(json_object_get(s, "awarded_before")),
	       json_string_value(json_object_get(s, "released")));
	if (json_array_size(inv)) {
		printf(TR(o, "  invoices  ", "  发票      "));
		json_array_foreach(inv, i, v)
			printf(" %s", json_string_value(v));
		printf("\n");
	}
	print_decision(o, TR(o, "settled", "结算决定"),
		       json_object_get(s, "decision"));
}

/* The waiting line of show: the waitlist's order and why (view_waiting's
 * j), in o's language. */
static void print_waiting(const struct oopts *o, json_t *j)
{
	const char *order = json_string_value(json_object_get(j, "order"));
	const char *why = json_string_value(
		json_object_get(j, cli_zh(o->lang) ? "why_zh" : "why"));

	assert(o && j);
	if (!order || !why)
		return;
	if (cli_zh(o->lang))
		printf("  候补      %s：%s\n",
		       strcmp(order, "fit") ? "严格按受理先后" : "按额度安排",
		       why);
	else
		printf("  waiting    %s: %s\n", order, why);
}

int cmd_show(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan show --db FILE ID [--json] [--lang en|zh]\n"
		"One application: its state, its decision with the trace, its\n"
		"transfers and its history.\n" LANG_HELP;
	struct oopts o;
	struct office off;
	struct chip_catalog *chips = NULL;
	struct store_app a;
	struct qerr e;
	char m[5][MONEY_TEXT_MAX];
	json_t *j = NULL;
	int rc;

	if (parse(argc, argv, &o, usage))
		return EXIT_BAD_INPUT;
	if (o.nargs != 1) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	if ((rc = open_office(&off, &o, &chips)))
		return rc;
	qerr_clear(&e);
	rc = o.json ? view_app(&off, o.args[0], &j, &e)
		    : store_app_get(off.store, o.args[0], &a, &e);
	if (rc) {
		close_office(&off, chips);
		if (rc == Q_NONE) {
			fprintf(stderr,
				TR(&o, "quan: no application '%s'\n",
				   "quan: 未找到申请 %s\n"),
				o.args[0]);
			return EXIT_BAD_INPUT;
		}
		return fail_in(&o, &e);
	}
	if (o.json) {
		if (cli_zh(o.lang))
			lang_localize_zh(j);
		print_json(j);
		close_office(&off, chips);
		return 0;
	}
	printf("%s — %s / %s\n", a.id, a.program, a.measure);
	printf(TR(&o, "  state      %s\n", "  状态      %s\n"),
	       state_in(&o, app_state_name(a.state)));
	printf(TR(&o, "  policy     %s\n", "  政策      %s\n"), a.policy_hash);
	printf(TR(&o, "  requested  %s   awarded %s   paid %s   recovered %s\n",
		  "  申请      %s 元   批准 %s 元   已付 %s 元   已追回 %s 元\n"),
	       money_format(a.requested, m[0]), money_format(a.awarded, m[1]),
	       money_format(a.paid, m[2]), money_format(a.recovered, m[3]));
	printf(TR(&o, "  remaining  %s left to pay (awarded - paid)\n",
		  "  待付      %s 元（批准减已付）\n"),
	       money_format(a.awarded - a.paid, m[4]));
	if (a.approved_by[0] && cli_zh(o.lang))
		printf("  审批      %s%s%s%s\n", a.approved_by,
		       a.approver[0] ? "（第一次审批：" : "", a.approver,
		       a.approver[0] ? "）" : "");
	else if (a.approved_by[0])
		printf("  approved   by %s%s%s\n", a.approved_by,
		       a.approver[0] ? " after " : "", a.approver);
	/* Why a waitlisted application waits (waitlist: strict or fit). */
	if (a.state == APP_WAITLISTED && !view_waiting(&off, &a, &j, &e) && j)
		print_waiting(&o, j);
	json_decref(j);
	j = NULL;
	if (office_decision_json(&off, &a, &j, &e))
		printf(TR(&o, "  decision   cannot be shown: %s\n",
			  "  决定      无法显示：%s\n"),
		       e.msg);
	print_decision(&o, TR(&o, "decision", "决定"), j);
	json_decref(j);
	j = NULL;
	rc = store_event_each_subject(off.store, a.id, last_settle, &j, &e);
	if (!rc && j)
		print_settlement(&o, j);
	json_decref(j);
	j = NULL;
	printf(TR(&o, "  transfers\n", "  资金划转\n"));
	if (!rc)
		rc = store_transfer_each(off.store, a.id, show_transfer, &o,
					 &e);
	printf(TR(&o, "  history\n", "  历史\n"));
	if (!rc)
		rc = store_event_each_subject(off.store, a.id, show_event, &o,
					      &e);
	store_app_release(&a);
	close_office(&off, chips);
	return rc ? fail_in(&o, &e) : 0;
}

int cmd_expire(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan expire --db FILE --by NAME [--at TIME]\n"
		"Release every reservation not approved within its measure's\n"
		"reservation_days; the money returns to the pool and the\n"
		"waitlist is served. --at 2026-01-31T00:00:00+08:00 judges\n"
		"expiry at that time instead of now.\n" LANG_ERR_HELP;
	struct oopts o;
	struct office off;
	struct chip_catalog *chips = NULL;
	struct qerr e;
	int64_t t = now();
	long count = 0;
	int rc;

	if (parse(argc, argv, &o, usage) || need_by(&o) || no_ref(&o, "expire"))
		return EXIT_BAD_INPUT;
	qerr_clear(&e);
	if (o.at && datetime_parse(o.at, strlen(o.at), &t, NULL, "--at", &e))
		return fail_in(&o, &e);
	if ((rc = open_office(&off, &o, &chips)))
		return rc;
	rc = office_expire(&off, o.by, t, &count, &e);
	close_office(&off, chips);
	if (rc)
		return fail_in(&o, &e);
	printf("expired %ld reservations\n", count);
	return 0;
}

/* A fiscal year argument; prints the error. */
static int parse_year(const char *arg, long *year)
{
	char *end;

	*year = strtol(arg, &end, 10);
	if (end == arg || *end || *year < 1900 || *year > 2200) {
		fprintf(stderr, "quan: YEAR: '%s' is not a fiscal year\n", arg);
		return -1;
	}
	return 0;
}

int cmd_round(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan round close --db FILE PROGRAM MEASURE YEAR --by NAME\n"
		"Close the review round of a pro-rata measure: when demand exceeds\n"
		"the pool every request is scaled by the same factor, rounded down\n"
		"to the fen, and the leftover fen go one each to the largest\n"
		"remainders (ties: earlier arrival), so the total equals the pool.\n" LANG_ERR_HELP;
	struct oopts o;
	struct office off;
	struct chip_catalog *chips = NULL;
	struct office_round r;
	struct qerr e;
	char m[3][MONEY_TEXT_MAX];
	long year;
	int rc;

	if (argc >= 2 && cli_is_help(argv[1])) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "close")) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	if (parse(argc - 1, argv + 1, &o, usage) || need_by(&o) ||
	    no_ref(&o, "round close"))
		return EXIT_BAD_INPUT;
	if (o.nargs != 3) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	if (parse_year(o.args[2], &year))
		return EXIT_BAD_INPUT;
	if ((rc = open_office(&off, &o, &chips)))
		return rc;
	qerr_clear(&e);
	rc = office_round_close(&off, o.args[0], o.args[1], (int)year, o.by,
				now(), &r, &e);
	close_office(&off, chips);
	if (rc)
		return fail_in(&o, &e);
	printf("round %s/%s/%ld: %ld applications asked %s, the pool had %s, reserved %s%s\n",
	       o.args[0], o.args[1], year, r.count,
	       money_format(r.demand, m[0]), money_format(r.available, m[1]),
	       money_format(r.awarded, m[2]),
	       r.scaled ? " (scaled pro rata)" : "");
	return 0;
}

int cmd_milestone(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan milestone --db FILE ID YEAR --why TEXT --by NAME\n"
		"                      [--ref KEY]\n"
		"Record a milestone of an awarded institute grant and post the\n"
		"tranche ring-fenced for fiscal year YEAR, so it can be paid.\n" LANG_ERR_HELP;
	struct oopts o;
	struct office off;
	struct chip_catalog *chips = NULL;
	json_t *a = NULL;
	long year;
	int rc;

	if (parse(argc, argv, &o, usage) || need_by(&o))
		return EXIT_BAD_INPUT;
	if (o.nargs != 2) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	if (parse_year(o.args[1], &year))
		return EXIT_BAD_INPUT;
	if ((rc = open_office(&off, &o, &chips)))
		return rc;
	rc = move(&off, &o,
		  &(struct office_move){.verb = OFFICE_MOVE_MILESTONE,
					.year = (int)year,
					.why = o.why},
		  &a);
	close_office(&off, chips);
	if (rc)
		return rc;
	printf("%s %ld tranche posted %s", jstr(a, "id"), year,
	       jstr(a, "posted"));
	print_totals(&o, a);
	json_decref(a);
	return 0;
}

/* --- public notice ------------------------------------------------------------ */

int cli_load_holidays(struct holidays *out)
{
	const char *path = getenv("QUAN_HOLIDAYS");
	struct qerr e;

	if (!path)
		path = QUAN_DATADIR "/holidays.yaml";
	if (holidays_load(path, out, &e)) {
		fprintf(stderr, "quan: %s\n", e.msg);
		return EXIT_BAD_POLICY;
	}
	return 0;
}

static int notice_open(struct oopts *o)
{
	struct office off;
	struct chip_catalog *chips = NULL;
	struct holidays cal;
	struct office_notice n;
	struct qerr e;
	char d1[DATE_TEXT_MAX], d2[DATE_TEXT_MAX];
	int rc;

	if (o->measure && o->nargs > 1) {
		fputs("quan: notice open takes --measure or IDs, not both\n",
		      stderr);
		return EXIT_BAD_INPUT;
	}
	if ((rc = cli_load_holidays(&cal)))
		return rc;
	if ((rc = open_office(&off, o, &chips))) {
		holidays_release(&cal);
		return rc;
	}
	qerr_clear(&e);
	if (o->nargs == 1)
		rc = office_notice_open_program(&off, &cal, o->args[0],
						o->measure, o->by, now(), &n,
						&e);
	else
		rc = office_notice_open(&off, &cal, o->args[0],
					(const char *const *)o->args + 1,
					(size_t)o->nargs - 1, o->by, now(), &n,
					&e);
	close_office(&off, chips);
	holidays_release(&cal);
	if (rc)
		return fail_in(o, &e);
	printf("%s %s posts %zu award(s) from %s to %s (%d working days)\n",
	       n.id, n.program, n.n, date_format(n.opened_on, d1),
	       date_format(n.ends_on, d2), n.working_days);
	return 0;
}

static int notice_close(struct oopts *o)
{
	struct office off;
	struct chip_catalog *chips = NULL;
	struct office_notice n;
	struct qerr e;
	char d2[DATE_TEXT_MAX];
	int rc;

	if ((rc = open_office(&off, o, &chips)))
		return rc;
	qerr_clear(&e);
	rc = office_notice_close(&off, o->args[0], o->by, now(), &n, &e);
	close_office(&off, chips);
	if (rc)
		return fail_in(o, &e);
	printf("%s closed: it ran to %s; %zu award(s) may be paid\n", n.id,
	       date_format(n.ends_on, d2), n.n);
	return 0;
}

static int notice_export(struct oopts *o)
{
	struct office off;
	struct chip_catalog *chips = NULL;
	struct qerr e;
	int rc;

	if (!o->format || !o->out) {
		fputs("quan: notice export needs --format csv|xlsx|html and --out FILE\n",
		      stderr);
		return EXIT_BAD_INPUT;
	}
	if ((rc = open_office(&off, o, &chips)))
		return rc;
	qerr_clear(&e);
	rc = office_notice_export(&off, o->args[0], o->format, o->out, &e);
	close_office(&off, chips);
	if (rc)
		return fail_in(o, &e);
	printf("%s written to %s (%s)\n", o->args[0], o->out, o->format);
	return 0;
}

/* Lodge an objection, or decide one (uphold true or false): the verbs of
 * notice object|uphold|dismiss and objection add|decide. */
static int objection_verb(struct oopts *o, const char *sub)
{
	struct office off;
	struct chip_catalog *chips = NULL;
	struct qerr e;
	json_t *a = NULL;
	int rc;

	if ((rc = open_office(&off, o, &chips)))
		return rc;
	if (!strcmp(sub, "object")) {
		qerr_clear(&e);
		rc = office_object(&off, o->args[0], o->why, o->by, now(), &e);
		close_office(&off, chips);
		if (rc)
			return fail_in(o, &e);
		printf("%s objection lodged: held from payment\n", o->args[0]);
		return 0;
	}
	rc = move(&off, o,
		  &(struct office_move){.verb = strcmp(sub, "uphold")
							? OFFICE_MOVE_DISMISS
							: OFFICE_MOVE_UPHOLD,
					.why = o->why},
		  &a);
	close_office(&off, chips);
	if (rc)
		return rc;
	/* A dismissal returns nothing: say the award stands. */
	if (strcmp(sub, "uphold"))
		printf("%s %s: objection dismissed, the award stands",
		       jstr(a, "id"), jstr(a, "state"));
	else
		printf("%s %s %s returned to the pool", jstr(a, "id"),
		       jstr(a, "state"), jstr(a, "returned"));
	print_totals(o, a);
	json_decref(a);
	return 0;
}

int cmd_notice(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan notice open --db FILE PROGRAM [--measure M] --by NAME\n"
		"       quan notice open --db FILE PROGRAM ID... --by NAME\n"
		"       quan notice close --db FILE NOTICE --by NAME\n"
		"       quan notice export --db FILE NOTICE --format csv|xlsx|html\n"
		"                          --out FILE\n"
		"       quan notice object --db FILE ID --why TEXT --by NAME\n"
		"       quan notice uphold --db FILE ID --by NAME [--why TEXT]\n"
		"                          [--ref KEY]\n"
		"       quan notice dismiss --db FILE ID --by NAME [--why TEXT]\n"
		"                           [--ref KEY]\n"
		"Public notice (公示). open posts the awarded applications of\n"
		"PROGRAM (or of measure M, or the IDs given) that wait for one, for\n"
		"the working days their measures' public_notice says, counted with\n"
		"the State Council's calendar (data/holidays.yaml, or\n"
		"QUAN_HOLIDAYS); it prints the notice's id first. They are not paid\n"
		"while it runs. close closes it from the day after its last working\n"
		"day, once no objection is open: its awards may then be paid. export\n"
		"writes it as CSV, XLSX or a printable A4 page in Chinese. object\n"
		"(or quan objection add) lodges an objection against an award during\n"
		"its notice, which holds the award until a reviewer decides: uphold\n"
		"reverses the award to the pool (the application is rejected, the\n"
		"waitlist served); dismiss lets it be paid once the notice is closed.\n" LANG_ERR_HELP;
	const char *sub = argc >= 2 ? argv[1] : "";
	struct oopts o;

	if (argc >= 2 && cli_is_help(argv[1])) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(sub, "open") && strcmp(sub, "close") &&
	    strcmp(sub, "export") && strcmp(sub, "object") &&
	    strcmp(sub, "uphold") && strcmp(sub, "dismiss")) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	if (parse(argc - 1, argv + 1, &o, usage))
		return EXIT_BAD_INPUT;
	if (strcmp(sub, "export") && need_by(&o))
		return EXIT_BAD_INPUT;
	if (!strcmp(sub, "open") ? o.nargs < 1 : o.nargs != 1) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	if (strcmp(sub, "uphold") && strcmp(sub, "dismiss") &&
	    no_ref(&o, "notice"))
		return EXIT_BAD_INPUT;
	if (!strcmp(sub, "open"))
		return notice_open(&o);
	if (!strcmp(sub, "close"))
		return notice_close(&o);
	if (!strcmp(sub, "export"))
		return notice_export(&o);
	return objection_verb(&o, sub);
}

int cmd_objection(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan objection add --db FILE ID --why TEXT --by NAME\n"
		"       quan objection decide --db FILE ID --uphold|--dismiss --by NAME\n"
		"                             [--why TEXT] [--ref KEY]\n"
		"An objection (异议) to an award in a public notice. add lodges one\n"
		"while the notice runs; it holds the award from payment until a\n"
		"reviewer decides it. --uphold reverses the award to the pool (the\n"
		"application is rejected, the waitlist served); --dismiss lets it\n"
		"be paid once the notice is closed. decide moves money: --ref KEY\n"
		"makes a retry answer the same.\n" LANG_ERR_HELP;
	const char *sub = argc >= 2 ? argv[1] : "";
	struct oopts o;

	if (argc >= 2 && cli_is_help(argv[1])) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(sub, "add") && strcmp(sub, "decide")) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	if (parse(argc - 1, argv + 1, &o, usage) || need_by(&o))
		return EXIT_BAD_INPUT;
	if (o.nargs != 1) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	if (!strcmp(sub, "add"))
		return no_ref(&o, "objection add")
			       ? EXIT_BAD_INPUT
			       : objection_verb(&o, "object");
	if (o.uphold == o.dismiss) {
		fputs("quan: objection decide takes --uphold or --dismiss\n",
		      stderr);
		return EXIT_BAD_INPUT;
	}
	return objection_verb(&o, o.uphold ? "uphold" : "dismiss");
}

int cmd_letter(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan letter --db FILE ID\n"
		"                   --kind decision|rejection|award|clawback --out FILE\n"
		"Write a letter to the applicant of application ID as a printable A4\n"
		"page in Chinese (HTML; print it from a browser): the program's name\n"
		"and document number, the issuing office, the stored figures and the\n"
		"reasons in words. It reads only what is stored and audited; a kind\n"
		"that does not fit the application (an award letter for a rejected\n"
		"one) is refused. The letter is in Chinese whatever --lang says.\n" LANG_ERR_HELP;
	struct oopts o;
	struct office off;
	struct chip_catalog *chips = NULL;
	struct qerr e;
	FILE *f;
	int rc;

	if (argc >= 2 && cli_is_help(argv[1])) {
		fputs(usage, stdout);
		return 0;
	}
	if (parse(argc, argv, &o, usage))
		return EXIT_BAD_INPUT;
	if (o.nargs != 1 || !o.kind || !o.out) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	if ((rc = open_office(&off, &o, &chips)))
		return rc;
	f = fopen(o.out, "w");
	if (!f) {
		close_office(&off, chips);
		fprintf(stderr, "quan: %s: %s\n", o.out, strerror(errno));
		return EXIT_BAD_INPUT;
	}
	qerr_clear(&e);
	rc = office_letter(&off, o.args[0], o.kind, f, &e);
	close_office(&off, chips);
	if (fclose(f) && !rc)
		rc = qerr_set(&e, Q_ERR_IO, "out", "%s: cannot write", o.out);
	if (rc) {
		remove(o.out);
		return fail_in(&o, &e);
	}
	printf("%s %s letter written to %s\n", o.args[0], o.kind, o.out);
	return 0;
}
