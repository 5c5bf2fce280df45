/*
 * cmd_export.c - `quan export awards|payments`: the tables finance hands
 * the treasury system (office/export.h), as CSV or XLSX.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "office/export.h"
#include "office/office.h"

static const char usage[] =
	"usage: quan export awards|payments --db DB --format csv|xlsx --out FILE\n"
	"                   [--batch BATCH]\n"
	"awards: one row per application with money awarded, paid or\n"
	"recovered: id, program, measure, fiscal_year, uscc, name, state,\n"
	"awarded, paid, recovered, remaining (awarded - paid, left to pay).\n"
	"payments: every payment that moved money, each once: one row per\n"
	"payment of a payment batch (quan batch), of BATCH only with\n"
	"--batch; then, without --batch, one row per disbursement made\n"
	"outside a batch (kind direct, its --ref as ref): voucher, batch,\n"
	"id, program, measure, uscc, payee_name, payee_account, amount,\n"
	"state, bank_ref, paid_at, settled_on, kind, ref. Money is text with\n"
	"two decimals in both formats (an XLSX number is a double, which\n"
	"cannot hold every fen exactly). See docs/finance.md.\n";

/* argv[2..]: --db, --format and --out, each once. */
static int options(int argc, char **argv, const char **db, const char **fmt,
		   const char **out, const char **batch)
{
	for (int i = 2; i < argc; i++) {
		const char **slot = !strcmp(argv[i], "--db")	   ? db
				    : !strcmp(argv[i], "--format") ? fmt
				    : !strcmp(argv[i], "--out")	   ? out
				    : !strcmp(argv[i], "--batch")  ? batch
								   : NULL;

		if (!slot || i + 1 >= argc || *slot) {
			fprintf(stderr, "quan: export: bad option '%s'\n\n%s",
				argv[i], usage);
			return EXIT_BAD_INPUT;
		}
		*slot = argv[++i];
	}
	if (!*db || !*fmt || !*out) {
		fprintf(stderr,
			"quan: export: --db, --format and --out are required\n\n%s",
			usage);
		return EXIT_BAD_INPUT;
	}
	return 0;
}

int cmd_export(int argc, char **argv)
{
	const char *db = NULL, *fmt = NULL, *out = NULL, *batch = NULL;
	struct chip_catalog *chips = NULL;
	enum export_what what;
	enum export_format f;
	struct office off;
	struct qerr e;
	long rows = 0;
	int rc;

	for (int i = 1; i < argc; i++)
		if (cli_is_help(argv[i])) {
			fputs(usage, stdout);
			return 0;
		}
	qerr_clear(&e);
	if (argc < 2 || export_what_parse(argv[1], &what, &e)) {
		fprintf(stderr, "quan: export: %s\n\n%s",
			argc < 2 ? "awards or payments?" : e.msg, usage);
		return EXIT_BAD_INPUT;
	}
	if ((rc = options(argc, argv, &db, &fmt, &out, &batch)))
		return rc;
	if (export_format_parse(fmt, &f, &e)) {
		fprintf(stderr, "quan: export: %s\n", e.msg);
		return EXIT_BAD_INPUT;
	}
	if ((rc = cli_load_chips(NULL, &chips)))
		return rc;
	if (office_open(&off, db, chips, &e)) {
		fprintf(stderr, "quan: export: %s\n", e.msg);
		chips_free(chips);
		return EXIT_BAD_INPUT;
	}
	rc = export_write(&off, what, f, batch, out, &rows, &e);
	office_close(&off);
	chips_free(chips);
	if (rc) {
		fprintf(stderr, "quan: export: %s\n", e.msg);
		return EXIT_BAD_INPUT;
	}
	printf("export: %ld %s written to %s\n", rows, argv[1], out);
	return 0;
}
