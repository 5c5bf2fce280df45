/*
 * cmd_screen.c - what the screens read besides the applications:
 * `quan registry import` (the registry of controllers) and `quan lists
 * import` (dishonest and restricted firms), both from CSV files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/file.h"
#include "office/office.h"

#define IMPORT_MAX_BYTES (512u << 20) /* one CSV file */

struct iopts {
	const char *db, *by, *list, *chips, *file;
};

static int parse(int argc, char **argv, struct iopts *o, const char *usage)
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
		else if (!strcmp(a, "--list"))
			slot = &o->list;
		else if (!strcmp(a, "--chips"))
			slot = &o->chips;
		if (slot) {
			if (i + 1 >= argc) {
				fprintf(stderr, "quan: %s needs a value\n", a);
				return -1;
			}
			*slot = argv[++i];
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "quan: unknown option '%s'\n\n%s", a,
				usage);
			return -1;
		} else if (!o->file) {
			o->file = a;
		} else {
			fprintf(stderr, "quan: one file at a time\n\n%s",
				usage);
			return -1;
		}
	}
	if (!o->db || !o->file) {
		fputs(usage, stderr);
		return -1;
	}
	return 0;
}

/* Who imports: --by, or the login name, so the audit event names someone. */
static const char *who(const struct iopts *o)
{
	const char *u = getenv("USER");

	if (o->by && *o->by)
		return o->by;
	return u && *u ? u : "import";
}

static int run(const struct iopts *o, const char *list)
{
	struct chip_catalog *chips = NULL;
	struct office off;
	struct qerr e;
	char *text = NULL;
	size_t len = 0;
	long count = 0;
	int rc;

	qerr_clear(&e);
	if (file_read(o->file, IMPORT_MAX_BYTES, "a CSV file", &text, &len,
		      &e)) {
		fprintf(stderr, "quan: %s\n", e.msg);
		return EXIT_BAD_INPUT;
	}
	rc = cli_load_chips(o->chips, &chips);
	if (rc) {
		free(text);
		return rc;
	}
	if (office_open(&off, o->db, chips, &e)) {
		fprintf(stderr, "quan: %s\n", e.msg);
		chips_free(chips);
		free(text);
		return EXIT_BAD_INPUT;
	}
	cli_clock_mark(&off);
	if (list)
		rc = office_list_import(&off, list, text, len, o->file, who(o),
					cli_now(), &count, &e);
	else
		rc = office_registry_import(&off, text, len, o->file, who(o),
					    cli_now(), &count, &e);
	office_close(&off);
	chips_free(chips);
	free(text);
	if (rc) {
		fprintf(stderr, "quan: %s: %s\n", o->file, e.msg);
		return cli_exit_for(rc);
	}
	printf("%s: %ld %s imported%s%s\n", o->db, count,
	       list ? "listed firms" : "controllers", list ? " to list " : "",
	       list ? list : "");
	return 0;
}

int cmd_registry(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan registry import --db FILE [--by NAME] CONTROLLERS.csv\n"
		"Import the registry of controllers the related-party screen\n"
		"reads: a header line naming the columns uscc, controller_id and\n"
		"optionally name and source (in any order), then one line per\n"
		"controller of a firm. A controller is a person's ID number or a\n"
		"firm's USCC. An entry already there is replaced. A bad line\n"
		"refuses the whole file.\n";
	struct iopts o;
	bool help = argc >= 2 &&
		    (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));

	if (argc < 2 || strcmp(argv[1], "import")) {
		fputs(usage, help ? stdout : stderr);
		return help ? 0 : EXIT_BAD_INPUT;
	}
	if (parse(argc - 1, argv + 1, &o, usage))
		return EXIT_BAD_INPUT;
	if (o.list) {
		fputs("quan: --list is for `quan lists import`\n", stderr);
		return EXIT_BAD_INPUT;
	}
	return run(&o, NULL);
}

int cmd_lists(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan lists import --db FILE --list LIST [--by NAME] FIRMS.csv\n"
		"Import a list: dishonest or restricted (the restricted-list\n"
		"screen reads them), or a supplier list a program of the office\n"
		"declares (policy lists:, read by supplier_on(\"ID\")). A header line\n"
		"naming the columns uscc and optionally name, reason and source,\n"
		"then one firm per line. A firm already on the list is replaced.\n"
		"A bad line refuses the whole file.\n";
	struct iopts o;
	bool help = argc >= 2 &&
		    (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));

	if (argc < 2 || strcmp(argv[1], "import")) {
		fputs(usage, help ? stdout : stderr);
		return help ? 0 : EXIT_BAD_INPUT;
	}
	if (parse(argc - 1, argv + 1, &o, usage))
		return EXIT_BAD_INPUT;
	if (!o.list) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	return run(&o, o.list);
}
