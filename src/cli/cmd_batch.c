/*
 * cmd_batch.c - `quan batch new|pay|show|list` and `quan reconcile`: the
 * finance officer's payment batches and the bank statement
 * (office/finance.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/file.h"
#include "office/finance.h"
#include "office/office.h"

#define MAX_ARGS 2000 /* ids, accounts and bank references of one call */

static const char batch_usage[] =
	"usage: quan batch new --db DB [--program P] [--measure M] [ID...]\n"
	"                      [--account ID=ACCOUNT]... --by NAME [--ref KEY]\n"
	"                      [--json]\n"
	"       quan batch pay --db DB BATCH --by NAME --ref KEY\n"
	"                      [--bank-ref VOUCHER=REFERENCE]... [--json]\n"
	"       quan batch show --db DB BATCH [--json]\n"
	"       quan batch list --db DB [--json]\n"
	"new: group awarded applications with money left to pay (the IDs, or\n"
	"every payable award of the program and measure) into a batch; prints\n"
	"the batch's id first, then one payment per line under its voucher\n"
	"number (PZ-YEAR-NNNNNN, sequential per year, never reused). The\n"
	"payee's account is --account, or the application's\n"
	"applicant.bank_account. pay: disburse every planned payment, each\n"
	"under its voucher as idempotency key, so a batch paid again pays\n"
	"once; a payment the office refuses (a public notice running, an\n"
	"open objection, the approver paying) stays planned and is listed,\n"
	"and the command exits 1. See docs/finance.md.\n";

static const char reconcile_usage[] =
	"usage: quan reconcile --db DB --statement FILE.csv --by NAME [--json]\n"
	"Match the bank statement's lines (header date,amount,payee_account,\n"
	"payee_name,reference) to paid payments by reference (the voucher\n"
	"number, or the bank reference recorded at payment) and amount; the\n"
	"matched payments are settled (audited). Every line and every paid\n"
	"payment that does not match is listed, never guessed. See\n"
	"docs/finance.md.\n";

/* The options of a finance command. */
struct fopts {
	const char *db, *by, *ref, *program, *measure, *statement;
	const char *args[MAX_ARGS]; /* positional */
	size_t nargs;
	const char *pairs[MAX_ARGS]; /* --account or --bank-ref */
	size_t npairs;
	bool json;
};

static int bad(const char *verb, const char *arg, const char *usage)
{
	fprintf(stderr, "quan: %s: bad option '%s'\n\n%s", verb, arg, usage);
	return EXIT_BAD_INPUT;
}

/* argv[from..] into *f; pair_opt is the repeated NAME=VALUE option. */
static int fparse(int argc, char **argv, int from, const char *pair_opt,
		  struct fopts *f, const char *usage, bool *help)
{
	memset(f, 0, sizeof(*f));
	*help = false;
	for (int i = from; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = !strcmp(a, "--db")		? &f->db
				    : !strcmp(a, "--by")	? &f->by
				    : !strcmp(a, "--ref")	? &f->ref
				    : !strcmp(a, "--program")	? &f->program
				    : !strcmp(a, "--measure")	? &f->measure
				    : !strcmp(a, "--statement") ? &f->statement
								: NULL;

		if (cli_is_help(a)) {
			fputs(usage, stdout);
			*help = true;
			return 0;
		}
		if (!strcmp(a, "--json")) {
			f->json = true;
		} else if (pair_opt && !strcmp(a, pair_opt) && i + 1 < argc &&
			   f->npairs < MAX_ARGS) {
			f->pairs[f->npairs++] = argv[++i];
		} else if (slot && i + 1 < argc && !*slot) {
			*slot = argv[++i];
		} else if (a[0] != '-' && f->nargs < MAX_ARGS) {
			f->args[f->nargs++] = a;
		} else {
			return bad(argv[0], a, usage);
		}
	}
	if (!f->db) {
		fprintf(stderr, "quan: %s: --db is required\n\n%s", argv[0],
			usage);
		return EXIT_BAD_INPUT;
	}
	return 0;
}

static int open_db(struct office *off, const char *db,
		   struct chip_catalog **chips)
{
	struct qerr e;
	int rc = cli_load_chips(NULL, chips);

	if (rc)
		return rc;
	qerr_clear(&e);
	if (office_open(off, db, *chips, &e)) {
		fprintf(stderr, "quan: %s\n", e.msg);
		chips_free(*chips);
		return EXIT_BAD_INPUT;
	}
	cli_clock_mark(off);
	return 0;
}

static const char *js(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

static void print_json(json_t *j)
{
	char *t = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (t)
		puts(t);
	free(t);
}

static void print_payment(json_t *p)
{
	printf("  %-16s %-16s %14s  %-9s %-24s %s%s%s\n", js(p, "voucher"),
	       js(p, "application"), js(p, "amount"), js(p, "state"),
	       js(p, "payee_account"), js(p, "payee_name"),
	       js(p, "bank_ref")[0] ? "  bank ref " : "", js(p, "bank_ref"));
}

static void print_batch(json_t *j)
{
	json_t *p, *s;
	size_t i;

	printf("%s %lld payments, %s%s\n", js(j, "batch"),
	       (long long)json_integer_value(json_object_get(j, "count")),
	       js(j, "total"),
	       json_is_true(json_object_get(j, "replayed"))
		       ? " (--ref was used before with the same request: its "
			 "answer again, nothing made)"
		       : "");
	json_array_foreach(json_object_get(j, "payments"), i, p)
		print_payment(p);
	json_array_foreach(json_object_get(j, "skipped"), i, s) printf(
		"  skipped %s: %s\n", js(s, "application"), js(s, "why"));
}

static void print_pay(json_t *j)
{
	json_t *p;
	size_t i;

	printf("%s paid %s now%s\n", js(j, "batch"), js(j, "total_paid"),
	       json_is_true(json_object_get(j, "replayed"))
		       ? " (--ref was used before with the same request: its "
			 "answer again, nothing moved)"
		       : "");
	json_array_foreach(json_object_get(j, "paid"), i, p) print_payment(p);
	json_array_foreach(json_object_get(j, "already"), i, p) printf(
		"  %-16s paid before (%s)\n", js(p, "voucher"), js(p, "state"));
	json_array_foreach(json_object_get(j, "refused"), i, p)
		printf("  %-16s refused: %s\n", js(p, "voucher"), js(p, "why"));
}

static void print_list(json_t *j)
{
	json_t *b;
	size_t i;

	printf("%-14s %-16s %-14s %6s %8s %16s %16s %16s\n", "batch", "program",
	       "measure", "count", "planned", "total", "paid", "settled");
	json_array_foreach(json_object_get(j, "batches"), i, b) printf(
		"%-14s %-16s %-14s %6lld %8lld %16s %16s %16s\n",
		js(b, "batch"), js(b, "program"), js(b, "measure"),
		(long long)json_integer_value(json_object_get(b, "count")),
		(long long)json_integer_value(json_object_get(b, "planned")),
		js(b, "total"), js(b, "paid"), js(b, "settled"));
}

static int need_by(const char *verb, const struct fopts *f, const char *usage)
{
	if (f->by)
		return 0;
	fprintf(stderr, "quan: %s: --by is required\n\n%s", verb, usage);
	return EXIT_BAD_INPUT;
}

static int batch_run(const char *verb, struct office *off, struct fopts *f,
		     json_t **j, struct qerr *e)
{
	if (!strcmp(verb, "new")) {
		struct finance_batch_req r = {f->program, f->measure, f->args,
					      f->nargs,	  f->pairs,   f->npairs,
					      f->ref};

		return finance_batch_new(off, &r, f->by, cli_now(), j, e);
	}
	if (!strcmp(verb, "pay"))
		return finance_batch_pay(off, f->args[0], f->pairs, f->npairs,
					 f->ref, f->by, cli_now(), j, e);
	if (!strcmp(verb, "show"))
		return finance_batch_json(off, f->args[0], j, e);
	return finance_batches_json(off, j, e);
}

int cmd_batch(int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "";
	const char *pair_opt = !strcmp(verb, "new")   ? "--account"
			       : !strcmp(verb, "pay") ? "--bank-ref"
						      : NULL;
	struct chip_catalog *chips = NULL;
	struct office off;
	struct fopts *f;
	struct qerr e;
	json_t *j = NULL;
	bool help;
	int rc;

	if (argc > 1 && cli_is_help(argv[1])) {
		fputs(batch_usage, stdout);
		return 0;
	}
	if (strcmp(verb, "new") && strcmp(verb, "pay") &&
	    strcmp(verb, "show") && strcmp(verb, "list")) {
		fprintf(stderr, "quan: batch: new, pay, show or list?\n\n%s",
			batch_usage);
		return EXIT_BAD_INPUT;
	}
	if (!(f = calloc(1, sizeof(*f))))
		return EXIT_BAD_INPUT;
	rc = fparse(argc, argv, 2, pair_opt, f, batch_usage, &help);
	if (!rc && !help && (!strcmp(verb, "new") || !strcmp(verb, "pay")))
		rc = need_by("batch", f, batch_usage);
	if (!rc && !help && strcmp(verb, "new") && strcmp(verb, "list") &&
	    f->nargs != 1) {
		fprintf(stderr, "quan: batch %s: one BATCH\n\n%s", verb,
			batch_usage);
		rc = EXIT_BAD_INPUT;
	}
	if (rc || help || (rc = open_db(&off, f->db, &chips))) {
		free(f);
		return rc;
	}
	qerr_clear(&e);
	rc = batch_run(verb, &off, f, &j, &e);
	office_close(&off);
	chips_free(chips);
	if (rc) {
		fprintf(stderr, "quan: batch %s: %s\n", verb, e.msg);
		free(f);
		return EXIT_BAD_INPUT;
	}
	if (f->json)
		print_json(j);
	else if (!strcmp(verb, "pay"))
		print_pay(j);
	else if (!strcmp(verb, "list"))
		print_list(j);
	else
		print_batch(j);
	rc = json_array_size(json_object_get(j, "refused")) ? EXIT_BAD_INPUT
							    : 0;
	json_decref(j);
	free(f);
	return rc;
}

static void print_reconcile(json_t *j)
{
	json_t *m;
	size_t i;

	printf("reconcile: %zu matched and settled, %zu lines unmatched, %zu "
	       "paid payments unmatched\n",
	       json_array_size(json_object_get(j, "matched")),
	       json_array_size(json_object_get(j, "unmatched_lines")),
	       json_array_size(json_object_get(j, "unmatched_payments")));
	json_array_foreach(json_object_get(j, "matched"), i, m) printf(
		"  matched   line %lld  %s %s %s  settled on %s\n",
		(long long)json_integer_value(json_object_get(m, "line")),
		js(m, "voucher"), js(m, "application"), js(m, "amount"),
		js(m, "date"));
	json_array_foreach(json_object_get(j, "unmatched_lines"), i, m) printf(
		"  unmatched line %lld  %s %s %s: %s\n",
		(long long)json_integer_value(json_object_get(m, "line")),
		js(m, "date"), js(m, "amount"), js(m, "reference"),
		js(m, "why"));
	json_array_foreach(json_object_get(j, "unmatched_payments"), i, m)
		printf("  unmatched payment %s %s %s: paid, not on a statement "
		       "yet\n",
		       js(m, "voucher"), js(m, "application"), js(m, "amount"));
}

int cmd_reconcile(int argc, char **argv)
{
	struct chip_catalog *chips = NULL;
	struct office off;
	struct fopts *f = calloc(1, sizeof(*f));
	struct qerr e;
	json_t *j = NULL;
	char *csv = NULL;
	size_t len = 0;
	bool help;
	int rc;

	if (!f)
		return EXIT_BAD_INPUT;
	rc = fparse(argc, argv, 1, NULL, f, reconcile_usage, &help);
	if (!rc && !help)
		rc = need_by("reconcile", f, reconcile_usage);
	if (!rc && !help && (!f->statement || f->nargs)) {
		fprintf(stderr,
			"quan: reconcile: --statement FILE.csv, and "
			"nothing else\n\n%s",
			reconcile_usage);
		rc = EXIT_BAD_INPUT;
	}
	qerr_clear(&e);
	if (!rc && !help &&
	    file_read(f->statement, 16u << 20, "a bank statement", &csv, &len,
		      &e)) {
		fprintf(stderr, "quan: reconcile: %s\n", e.msg);
		rc = EXIT_BAD_INPUT;
	}
	if (rc || help || (rc = open_db(&off, f->db, &chips))) {
		free(csv);
		free(f);
		return rc;
	}
	rc = finance_reconcile(&off, csv, len, f->by, cli_now(), &j, &e);
	office_close(&off);
	chips_free(chips);
	free(csv);
	if (rc) {
		fprintf(stderr, "quan: reconcile: %s\n", e.msg);
		free(f);
		return EXIT_BAD_INPUT;
	}
	if (f->json)
		print_json(j);
	else
		print_reconcile(j);
	json_decref(j);
	free(f);
	return 0;
}
