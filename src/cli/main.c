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
	"\n"
	"`quan <command> --help` explains each. Exit codes: 0 done, 1 bad input,\n"
	"2 bad policy.\n";

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

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "policy"))
		return cmd_policy(argc - 1, argv + 1);
	if (!strcmp(argv[1], "estimate"))
		return cmd_estimate(argc - 1, argv + 1);
	fprintf(stderr, "quan: unknown command '%s'\n\n%s", argv[1], usage);
	return EXIT_BAD_INPUT;
}
