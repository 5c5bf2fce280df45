/*
 * cmd_attach.c - `quan attach`: file a document (contract, invoice,
 * receipt, acceptance report) under an application or one of its payment
 * tranches, and `quan documents`: list what an application holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/file.h"
#include "office/office.h"

static const char attach_usage[] =
	"usage: quan attach --db DB ID FILE\n"
	"                   --kind contract|invoice|receipt|acceptance\n"
	"                   --by NAME [--payment N] [--name NAME]\n"
	"                   [--max-bytes N]\n"
	"File FILE under application ID as evidence. Its type is read from its\n"
	"bytes: PDF, JPEG, PNG, or OFD (a ZIP with OFD.xml at its root); any\n"
	"other file is refused and nothing is written. The file is kept once by\n"
	"its SHA-256, which the audit event \"attach\" records. --payment N files\n"
	"it for payment tranche N (1 for the first payment) rather than for the\n"
	"application; --name is the name shown (FILE's own name by default);\n"
	"--max-bytes caps its size (default 20971520, 20 MiB).\n"
	"Prints the file's SHA-256 as the first word.\n";

static const char documents_usage[] =
	"usage: quan documents --db DB ID [--json]\n"
	"List the documents filed under application ID: number, kind, payment\n"
	"tranche (0: the application), type, size, SHA-256, name, who and when.\n";

/* Parse a whole decimal number in lo..hi, or -1. */
static long long number(const char *s, long long lo, long long hi)
{
	char *end;
	long long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	v = strtoll(s, &end, 10);
	if (*end || v < lo || v > hi)
		return -1;
	return v;
}

/* Open the office at db; prints the error. */
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

int cmd_attach(int argc, char **argv)
{
	const char *db = NULL, *by = NULL, *kind = NULL, *name = NULL;
	const char *args[2];
	long long payment = 0, cap = (long long)OFFICE_DOC_CAP_DEFAULT;
	int nargs = 0, rc;
	struct office off;
	struct chip_catalog *chips = NULL;
	struct store_doc_link l;
	struct qerr e;
	char *data = NULL;
	size_t len = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (cli_is_help(a)) {
			fputs(attach_usage, stdout);
			return 0;
		}
		if (!strcmp(a, "--db") && v)
			db = v, i++;
		else if (!strcmp(a, "--by") && v)
			by = v, i++;
		else if (!strcmp(a, "--kind") && v)
			kind = v, i++;
		else if (!strcmp(a, "--name") && v)
			name = v, i++;
		else if (!strcmp(a, "--payment") && v) {
			payment = number(v, 1, 1000);
			i++;
			if (payment < 0) {
				fputs("quan: --payment: a tranche 1 to 1000\n",
				      stderr);
				return EXIT_BAD_INPUT;
			}
		} else if (!strcmp(a, "--max-bytes") && v) {
			cap = number(v, 1, (long long)STORE_DOC_MAX);
			i++;
			if (cap < 0) {
				fprintf(stderr,
					"quan: --max-bytes: 1 to %zu bytes\n",
					STORE_DOC_MAX);
				return EXIT_BAD_INPUT;
			}
		} else if (a[0] != '-' && nargs < 2)
			args[nargs++] = a;
		else {
			fputs(attach_usage, stderr);
			return EXIT_BAD_INPUT;
		}
	}
	if (!db || !kind || nargs != 2) {
		fputs(attach_usage, stderr);
		return EXIT_BAD_INPUT;
	}
	if (!by || !*by) {
		fputs("quan: --by NAME is required: every change records who made it\n",
		      stderr);
		return EXIT_BAD_INPUT;
	}
	if (!name) {
		const char *slash = strrchr(args[1], '/');

		name = slash ? slash + 1 : args[1];
	}
	qerr_clear(&e);
	if (file_read(args[1], (size_t)cap, "a document", &data, &len, &e)) {
		fprintf(stderr, "quan: %s\n", e.msg);
		return cli_exit_for(e.code);
	}
	if ((rc = open_db(&off, db, &chips))) {
		free(data);
		return rc;
	}
	rc = office_attach(&off,
			   &(struct office_doc_in){args[0], (uint8_t *)data,
						   len, kind, name, payment,
						   (size_t)cap},
			   by, cli_now(), &l, &e);
	office_close(&off);
	chips_free(chips);
	free(data);
	if (rc) {
		fprintf(stderr, "quan: %s\n", e.msg);
		return cli_exit_for(e.code);
	}
	printf("%s %s %s %lld bytes filed under %s as %s #%lld\n", l.sha256,
	       l.type, l.name, (long long)l.size, l.app_id, l.kind,
	       (long long)l.seq);
	return 0;
}

static int print_doc(void *arg, const struct store_doc_link *l)
{
	json_t *arr = arg;

	if (arr) {
		json_array_append_new(
			arr, json_pack("{s:I,s:s,s:s,s:I,s:s,s:I,s:s,s:s,s:I}",
				       "seq", (json_int_t)l->seq, "kind",
				       l->kind, "name", l->name, "payment",
				       (json_int_t)l->payment, "type", l->type,
				       "size", (json_int_t)l->size, "sha256",
				       l->sha256, "by", l->by, "at",
				       (json_int_t)l->at));
		return 0;
	}
	printf("%lld\t%s\t%lld\t%s\t%lld\t%s\t%s\t%s\n", (long long)l->seq,
	       l->kind, (long long)l->payment, l->type, (long long)l->size,
	       l->sha256, l->name, l->by);
	return 0;
}

int cmd_documents(int argc, char **argv)
{
	const char *db = NULL, *id = NULL;
	bool as_json = false;
	struct office off;
	struct chip_catalog *chips = NULL;
	struct store_app a;
	struct qerr e;
	json_t *arr = NULL;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(documents_usage, stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--db") && i + 1 < argc)
			db = argv[++i];
		else if (!strcmp(argv[i], "--json"))
			as_json = true;
		else if (argv[i][0] != '-' && !id)
			id = argv[i];
		else {
			fputs(documents_usage, stderr);
			return EXIT_BAD_INPUT;
		}
	}
	if (!db || !id) {
		fputs(documents_usage, stderr);
		return EXIT_BAD_INPUT;
	}
	if ((rc = open_db(&off, db, &chips)))
		return rc;
	qerr_clear(&e);
	rc = store_app_get(off.store, id, &a, &e);
	if (rc == Q_NONE)
		rc = qerr_set(&e, Q_ERR_NOT_FOUND, "id",
			      "id: no application '%.64s'", id);
	if (!rc) {
		store_app_release(&a);
		arr = as_json ? json_array() : NULL;
		rc = store_doc_links_each(off.store, id, print_doc, arr, &e);
	}
	office_close(&off);
	chips_free(chips);
	if (rc) {
		json_decref(arr);
		fprintf(stderr, "quan: %s\n", e.msg);
		return cli_exit_for(e.code);
	}
	if (arr) {
		char *s = json_dumps(arr, JSON_COMPACT);

		puts(s ? s : "[]");
		free(s);
		json_decref(arr);
	}
	return 0;
}
