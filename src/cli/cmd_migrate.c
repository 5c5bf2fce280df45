/*
 * cmd_migrate.c - `quan migrate`: copy a program office to another
 * database (SQLite to PostgreSQL), history and audit chain intact.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/copy.h"
#include "store/store.h"

int cmd_migrate(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan migrate --from DB --to DB\n"
		"Copy a program office into an empty database, e.g. from\n"
		"office.db to postgres://USER@HOST/DBNAME: policy versions,\n"
		"applications, users, accounts, transfers and the audit chain,\n"
		"each event re-hashed and checked equal to the original. All of\n"
		"it lands in one transaction, or nothing does. A target that\n"
		"holds anything is refused. Afterwards `quan audit verify` and\n"
		"`quan ledger check` on the target pass as on the source.\n";
	const char *from = NULL, *to = NULL;
	struct store *src = NULL, *dst = NULL;
	struct store_copy_stats st;
	struct qerr e;
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			return EXIT_DECIDED;
		}
		if ((!strcmp(a, "--from") || !strcmp(a, "--to")) &&
		    i + 1 < argc) {
			if (!strcmp(a, "--from"))
				from = argv[++i];
			else
				to = argv[++i];
			continue;
		}
		fprintf(stderr, "quan: migrate: unknown option '%s'\n\n%s", a,
			usage);
		return EXIT_BAD_INPUT;
	}
	if (!from || !to) {
		fprintf(stderr,
			"quan: migrate: --from and --to are required\n\n%s",
			usage);
		return EXIT_BAD_INPUT;
	}
	if (!strcmp(from, to)) {
		fputs("quan: migrate: --from and --to are the same database\n",
		      stderr);
		return EXIT_BAD_INPUT;
	}
	qerr_clear(&e);
	rc = store_open(from, &src, &e);
	if (!rc)
		rc = store_open(to, &dst, &e);
	if (!rc)
		rc = store_copy(src, dst, &st, &e);
	store_close(dst);
	store_close(src);
	if (rc) {
		fprintf(stderr, "quan: migrate: %s\n", e.msg);
		return EXIT_BAD_INPUT;
	}
	printf("migrated %lld policy versions, %lld applications, %lld users, "
	       "%lld accounts, %lld transfers, %lld audit events, %lld "
	       "contracts, %lld registry entries, %lld listings, %lld "
	       "notices, %lld objections, %lld idempotency keys, %lld "
	       "documents\n",
	       (long long)st.policies, (long long)st.applications,
	       (long long)st.users, (long long)st.accounts,
	       (long long)st.transfers, (long long)st.events,
	       (long long)st.contracts, (long long)st.registry,
	       (long long)st.listings, (long long)st.notices,
	       (long long)st.objections, (long long)st.keys,
	       (long long)st.documents);
	return EXIT_DECIDED;
}
