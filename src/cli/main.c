/*
 * main.c - `quan`: one verb per job. Each verb lives in its own file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/err.h"

static const char usage[] =
	"usage: quan <command> [options]\n"
	"\n"
	"commands:\n"
	"  policy check FILE...           check policy files, print summary and hash\n"
	"  policy test FILE...            run YAML policy tests\n"
	"  policy fields                  list the fields conditions may read\n"
	"  estimate --policy FILE APP...  decide applications without a database\n"
	"  init --db FILE --policy FILE...  create an office, load (new versions of) policies\n"
	"  program add --db FILE --policy FILE   load another program into an office\n"
	"  apply --db FILE --by NAME APP... decide, reserve, queue or waitlist\n"
	"  review --db FILE ID --approve|--reject --by NAME   award or reject\n"
	"  withdraw --db FILE ID --by NAME                     release a reservation\n"
	"  disburse --db FILE ID AMOUNT --by NAME              pay a tranche\n"
	"  clawback --db FILE ID AMOUNT --why TEXT --by NAME   recover money\n"
	"  settle --db FILE ID --value YUAN --by NAME [--ref INVOICE]...  settle an award\n"
	"  notice open --db FILE PROGRAM [--measure M] --by NAME   post awards in a public notice\n"
	"  notice close --db FILE NOTICE --by NAME   close it once its working days have run\n"
	"  notice export --db FILE NOTICE --format csv|xlsx|html --out FILE   publish it\n"
	"  objection add --db FILE ID --why TEXT --by NAME   object to an award in a notice\n"
	"  objection decide --db FILE ID --uphold|--dismiss --by NAME   decide the objection\n"
	"  letter --db FILE ID --kind decision|rejection|award|clawback --out FILE   a letter to print\n"
	"  attach --db FILE ID DOC --kind KIND --by NAME [--payment N]  file evidence (PDF, JPEG, PNG, OFD)\n"
	"  documents --db FILE ID [--json]   the evidence filed under an application\n"
	"  report --db FILE [--json]      per program and overall: pools, money, applications, domestic share\n"
	"  compare --profile FIRM.yaml    a firm's planned year in every city, ranked by net cost\n"
	"  simulate --policy FILE... (--synthetic N --seed S | --population CSV | --from-db DB)\n"
	"                                 decide and allocate a population in memory; --reform R.yaml\n"
	"  forecast --db FILE [--json]    when each pool runs dry: a projection of the office's arrivals\n"
	"  show --db FILE ID [--json]     an application: decision, transfers, history\n"
	"  queue --db FILE PROGRAM [--json]  the review queue, priority holders first\n"
	"  list --db FILE [PROGRAM] [--q TEXT] ...  search the applications\n"
	"  expire --db FILE --by NAME     release reservations past their time\n"
	"  round close --db FILE PROGRAM MEASURE YEAR --by NAME   pro-rata round\n"
	"  milestone --db FILE ID YEAR --why TEXT --by NAME      post a grant's tranche\n"
	"  ledger check --db FILE         prove conservation to the fen\n"
	"  audit verify --db FILE         re-walk the audit chain\n"
	"  audit replay --db FILE         re-decide every application under its policy version\n"
	"  audit anchor --db FILE --key KEYFILE [--out ANCHOR]  sign the chain's head\n"
	"  key new --out KEYFILE           an office key (Ed25519) for anchors; KEYFILE.pub beside\n"
	"  backup --db FILE --to BACKUP    an online, consistent copy (SQLite backup API, pg_dump)\n"
	"  restore --from BACKUP --db FILE into an empty database, then ledger check, audit verify\n"
	"  user add --db FILE NAME --role ROLE [--uscc X]   a server user; prints its token\n"
	"    [--password-stdin] [--expires DAYS]           (or takes a password to sign in)\n"
	"  user password --db FILE NAME                    a new password from standard input\n"
	"  user token --db FILE NAME [--expires DAYS]      rotate a user's API token in place\n"
	"  user change --db FILE NAME [--role R] [--disable|--enable]  change a user\n"
	"  user remove --db FILE NAME                      revoke a user and its token\n"
	"  serve --db FILE [--listen HOST:PORT]            the HTTP API and dashboard\n"
	"  demo --db FILE --count N [--policy FILE]        generated applications, some reviewed and paid\n"
	"  migrate --from DB --to DB       copy an office into an empty database (e.g. to PostgreSQL)\n"
	"  registry import --db FILE CONTROLLERS.csv       the registry of controllers (related-party screen)\n"
	"  lists import --db FILE --list LIST FIRMS.csv   dishonest, restricted, or a program's supplier list\n"
	"  batch new --db FILE [--program P] [--measure M] [ID...] --by NAME [--ref KEY]  a payment batch\n"
	"  batch pay --db FILE BATCH --by NAME --ref KEY    pay it, each voucher once\n"
	"  batch show|list --db FILE [BATCH]                 payment batches and their vouchers\n"
	"  reconcile --db FILE --statement FILE.csv --by NAME  settle paid payments from a bank statement\n"
	"  export awards|payments --db FILE --format csv|xlsx --out FILE  for the treasury system\n"
	"\n"
	"DB (FILE above) is a SQLite file, or a PostgreSQL URI postgres://USER@HOST[:PORT]/DBNAME.\n"
	"\n"
	"--lang zh (or LC_ALL, LC_MESSAGES or LANG starting zh) prints texts and\n"
	"errors in Chinese: estimate, compare, apply, review, show, queue, list;\n"
	"the other verbs that read an office, their errors and states.\n"
	"\n"
	"`quan help COMMAND` or `quan COMMAND --help` explains each; `quan --version`\n"
	"prints the version; the manual is quan(1). Exit codes: 0 done, 1 bad input,\n"
	"2 bad policy.\n";

bool cli_is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

int cli_exit_for(int code)
{
	switch (code) {
	case Q_OK:
		return EXIT_DECIDED;
	case Q_ERR_POLICY:
	case Q_ERR_DECISION:
		return EXIT_BAD_POLICY;
	default:
		return EXIT_BAD_INPUT;
	}
}

int cli_load_policy(const char *path, struct policy **out)
{
	struct diag_list d = DIAG_LIST_INIT;
	int rc = policy_load(path, out, &d);

	diag_print(&d, stderr);
	diag_release(&d);
	if (rc == Q_OK)
		return EXIT_DECIDED;
	if (rc == Q_ERR_IO)
		fprintf(stderr, "quan: cannot read policy '%s'\n", path);
	return EXIT_BAD_POLICY;
}

int cli_load_chips(const char *path, struct chip_catalog **out)
{
	struct diag_list d = DIAG_LIST_INIT;
	int rc;

	if (!path)
		path = getenv("QUAN_CHIPS");
	if (!path)
		path = QUAN_DATADIR "/chips.yaml";
	rc = chips_load(path, out, &d);
	diag_print(&d, stderr);
	diag_release(&d);
	if (rc == Q_OK)
		return EXIT_DECIDED;
	if (rc == Q_ERR_IO)
		fprintf(stderr, "quan: cannot read chip catalog '%s'\n", path);
	return EXIT_BAD_POLICY;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} verbs[] = {
	{"init", cmd_init},	      {"apply", cmd_apply},
	{"review", cmd_review},	      {"withdraw", cmd_withdraw},
	{"disburse", cmd_disburse},   {"clawback", cmd_clawback},
	{"report", cmd_report},	      {"ledger", cmd_ledger},
	{"audit", cmd_audit},	      {"show", cmd_show},
	{"expire", cmd_expire},	      {"round", cmd_round},
	{"milestone", cmd_milestone}, {"serve", cmd_serve},
	{"user", cmd_user},	      {"demo", cmd_demo},
	{"migrate", cmd_migrate},     {"compare", cmd_compare},
	{"simulate", cmd_simulate},   {"program", cmd_program},
	{"registry", cmd_registry},   {"lists", cmd_lists},
	{"queue", cmd_queue},	      {"settle", cmd_settle},
	{"forecast", cmd_forecast},   {"notice", cmd_notice},
	{"objection", cmd_objection}, {"letter", cmd_letter},
	{"export", cmd_export},	      {"batch", cmd_batch},
	{"reconcile", cmd_reconcile}, {"list", cmd_list},
};

/* Run a verb's own code; -1 when there is no such verb. */
static int dispatch(int argc, char **argv)
{
	if (!strcmp(argv[0], "policy"))
		return cmd_policy(argc, argv);
	if (!strcmp(argv[0], "estimate"))
		return cmd_estimate(argc, argv);
	/* The office key, backups: cmd_anchor.c, cmd_backup.c. */
	if (!strcmp(argv[0], "key"))
		return cmd_key(argc, argv);
	if (!strcmp(argv[0], "backup"))
		return cmd_backup(argc, argv);
	if (!strcmp(argv[0], "restore"))
		return cmd_restore(argc, argv);
	/* Evidence: cmd_attach.c. */
	if (!strcmp(argv[0], "attach"))
		return cmd_attach(argc, argv);
	if (!strcmp(argv[0], "documents"))
		return cmd_documents(argc, argv);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[0], verbs[i].name))
			return verbs[i].fn(argc, argv);
	return -1;
}

/* A verb's help: the verb itself answers `VERB --help` with its usage on
 * stdout and exit 0, so that the text lives in one place, beside the
 * options it describes. */
static int verb_help(const char *verb)
{
	char *args[] = {(char *)verb, "--help", NULL};
	int rc;

	if (!strcmp(verb, "help")) {
		fputs(usage, stdout);
		return 0;
	}
	rc = dispatch(2, args);

	if (rc < 0) {
		fprintf(stderr, "quan: unknown command '%s'\n\n%s", verb,
			usage);
		return EXIT_BAD_INPUT;
	}
	return rc;
}

int main(int argc, char **argv)
{
	int rc;

	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	if (cli_is_help(argv[1]) || !strcmp(argv[1], "help")) {
		if (argc >= 3 && !strcmp(argv[1], "help"))
			return verb_help(argv[2]);
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("quan %s\n", QUAN_VERSION);
		return 0;
	}
	/* --help anywhere among a verb's arguments (before a lone "--") asks
	 * for help, never for a file or a value called "--help". */
	for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
		if (cli_is_help(argv[i]))
			return verb_help(argv[1]);
	rc = dispatch(argc - 1, argv + 1);
	if (rc >= 0)
		return rc;
	fprintf(stderr, "quan: unknown command '%s'\n\n%s", argv[1], usage);
	return EXIT_BAD_INPUT;
}
