/*
 * cmd_backup.c - `quan backup` and `quan restore` (store/backup.h), and
 * the checks a restored office must pass before it is trusted.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "office/office.h"
#include "store/backup.h"

/* --NAME VALUE pairs of argv[1..] into the slots of names; 0 or an exit
 * code (help printed with exit 0 through *help). */
static int pairs(int argc, char **argv, const char *const names[],
		 const char **slots[], const char *usage, bool *help)
{
	*help = false;
	for (int i = 1; i < argc; i++) {
		int k = 0;

		if (cli_is_help(argv[i])) {
			fputs(usage, stdout);
			*help = true;
			return 0;
		}
		while (names[k] && strcmp(names[k], argv[i]))
			k++;
		if (!names[k] || i + 1 >= argc) {
			fprintf(stderr, "quan: %s: bad option '%s'\n\n%s",
				argv[0], argv[i], usage);
			return EXIT_BAD_INPUT;
		}
		*slots[k] = argv[++i];
	}
	for (int k = 0; names[k]; k++)
		if (!*slots[k]) {
			fprintf(stderr, "quan: %s: %s is required\n\n%s",
				argv[0], names[k], usage);
			return EXIT_BAD_INPUT;
		}
	return 0;
}

int cmd_backup(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan backup --db DB --to FILE\n"
		"An online, consistent copy of the office in the new file FILE,\n"
		"while it keeps working: SQLite's backup API (FILE is a SQLite\n"
		"database), or pg_dump's custom format for a postgres:// DB.\n"
		"`quan restore` puts it back. See also pg_basebackup and\n"
		"point-in-time recovery in the README.\n";
	static const char *const names[] = {"--db", "--to", NULL};
	const char *db = NULL, *to = NULL;
	const char **slots[] = {&db, &to};
	struct qerr e;
	bool help;
	int rc = pairs(argc, argv, names, slots, usage, &help);

	if (rc || help)
		return rc;
	qerr_clear(&e);
	if (backup_take(db, to, &e)) {
		fprintf(stderr, "quan: backup: %s\n", e.msg);
		return EXIT_BAD_INPUT;
	}
	printf("backup: %s written\n", to);
	return 0;
}

/* ledger check and audit verify on the restored office; 0 when both pass. */
static int check_restored(const char *db)
{
	struct chip_catalog *chips = NULL;
	struct office off;
	struct qerr e;
	int64_t count = 0, bad_seq = 0;
	char why[256];
	long problems;
	int rc;

	if ((rc = cli_load_chips(NULL, &chips)))
		return rc;
	qerr_clear(&e);
	if (office_open(&off, db, chips, &e)) {
		fprintf(stderr, "quan: restore: %s\n", e.msg);
		chips_free(chips);
		return EXIT_BAD_INPUT;
	}
	problems = office_ledger_check(&off, stdout, &e);
	if (problems >= 0)
		rc = office_audit_verify(&off, &count, &bad_seq, why,
					 sizeof(why), &e);
	office_close(&off);
	chips_free(chips);
	if (problems < 0 || rc < 0) {
		fprintf(stderr, "quan: restore: %s\n", e.msg);
		return EXIT_BAD_INPUT;
	}
	if (problems)
		printf("restore: ledger check: %ld problems\n", problems);
	else
		printf("restore: ledger check: balanced\n");
	if (rc)
		printf("restore: audit verify: %s\n", why);
	else
		printf("restore: audit verify: %lld events, chain intact\n",
		       (long long)count);
	return problems || rc ? EXIT_BAD_INPUT : 0;
}

int cmd_restore(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan restore --from FILE --db DB\n"
		"Put a backup of `quan backup` into DB, which must be empty (a\n"
		"non-empty one is refused and nothing is written): a SQLite\n"
		"backup into a SQLite file, a pg_dump file (pg_restore) into a\n"
		"PostgreSQL database. Then runs `ledger check` and `audit\n"
		"verify` on what it restored, and exits 1 if either fails.\n";
	static const char *const names[] = {"--from", "--db", NULL};
	const char *from = NULL, *db = NULL;
	const char **slots[] = {&from, &db};
	struct qerr e;
	bool help;
	int rc = pairs(argc, argv, names, slots, usage, &help);

	if (rc || help)
		return rc;
	qerr_clear(&e);
	if (backup_restore(from, db, &e)) {
		fprintf(stderr, "quan: restore: %s\n", e.msg);
		return EXIT_BAD_INPUT;
	}
	printf("restore: %s restored into %s\n", from, db);
	rc = check_restored(db);
	if (rc)
		fprintf(stderr,
			"quan: restore: the restored office fails its checks: "
			"do not use it\n");
	return rc;
}
