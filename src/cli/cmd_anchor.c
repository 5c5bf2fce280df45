/*
 * cmd_anchor.c - `quan key new`, `quan audit anchor` and the anchor half
 * of `quan audit verify --anchor` (store/anchor.h does the work).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "core/file.h"
#include "store/anchor.h"
#include "store/store.h"

#define ANCHOR_ARGS_MAX 64

int cmd_key(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan key new --out KEYFILE\n"
		"Make an office key (Ed25519, libsodium) for signing audit\n"
		"anchors: KEYFILE holds the secret half (mode 0600) and\n"
		"KEYFILE.pub beside it the public half, to hand to whoever\n"
		"checks the anchors. An existing file is never overwritten.\n";
	const char *out = NULL;
	struct qerr e;

	if (argc >= 2 && cli_is_help(argv[1])) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc != 4 || strcmp(argv[1], "new") || strcmp(argv[2], "--out")) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	out = argv[3];
	qerr_clear(&e);
	if (anchor_key_new(out, &e)) {
		fprintf(stderr, "quan: key new: %s\n", e.msg);
		return EXIT_BAD_INPUT;
	}
	printf("%s: office key (secret, mode 0600); %s.pub: its public half\n",
	       out, out);
	return 0;
}

/* Write text to path, refusing an existing file, or to stdout (NULL). */
static int put_anchor(const char *path, const char *text)
{
	FILE *f;

	if (!path) {
		fputs(text, stdout);
		return 0;
	}
	f = fopen(path, "wx");
	if (!f) {
		fprintf(stderr, "quan: audit anchor: '%s': %s\n", path,
			access(path, F_OK) ? "cannot create"
					   : "exists already, not overwritten");
		return EXIT_BAD_INPUT;
	}
	if (fputs(text, f) < 0 || fflush(f) || fsync(fileno(f))) {
		fclose(f);
		unlink(path);
		fprintf(stderr, "quan: audit anchor: '%s': cannot write\n",
			path);
		return EXIT_BAD_INPUT;
	}
	fclose(f);
	return 0;
}

int cmd_audit_anchor(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan audit anchor --db DB --key KEYFILE [--out ANCHOR]\n"
		"Sign the audit chain's head (sequence number, hash, the first\n"
		"event's hash, the office's time) with the office key, to\n"
		"standard output or to the new file ANCHOR. Keep its copy\n"
		"outside the office's control: `quan audit verify --anchor`\n"
		"then proves the chain still holds that head.\n";
	const char *db = NULL, *key = NULL, *out = NULL;
	char text[ANCHOR_TEXT_MAX], name[17];
	struct anchor_key k;
	struct anchor a;
	struct store *s = NULL;
	struct qerr e;
	int rc;

	for (int i = 2; i < argc; i++) {
		const char **slot = NULL;

		if (cli_is_help(argv[i])) {
			fputs(usage, stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--db"))
			slot = &db;
		else if (!strcmp(argv[i], "--key"))
			slot = &key;
		else if (!strcmp(argv[i], "--out"))
			slot = &out;
		if (!slot || i + 1 >= argc) {
			fprintf(stderr,
				"quan: audit anchor: bad option '%s'\n\n%s",
				argv[i], usage);
			return EXIT_BAD_INPUT;
		}
		*slot = argv[++i];
	}
	if (!db || !key) {
		fprintf(stderr,
			"quan: audit anchor: --db and --key are required\n\n%s",
			usage);
		return EXIT_BAD_INPUT;
	}
	if (out && !access(out, F_OK)) {
		fprintf(stderr,
			"quan: audit anchor: '%s' exists already, not overwritten\n",
			out);
		return EXIT_BAD_INPUT;
	}
	if (cli_clock_set())
		fputs("quan: the anchor's time is the office's clock as QUAN_NOW "
		      "sets it, not the system's\n",
		      stderr);
	qerr_clear(&e);
	rc = anchor_key_load(key, &k, &e);
	if (!rc)
		rc = store_open(db, &s, &e);
	if (!rc)
		rc = anchor_head(s, &a, &e);
	if (!rc)
		rc = anchor_sign(&a, &k, cli_now(), text, &e);
	anchor_key_release(&k);
	store_close(s);
	if (rc) {
		fprintf(stderr, "quan: audit anchor: %s\n", e.msg);
		return EXIT_BAD_INPUT;
	}
	if ((rc = put_anchor(out, text)))
		return rc;
	anchor_key_name(a.pk, name);
	if (out)
		printf("%s: anchored head #%lld hash %.16s... signed by key %s\n",
		       out, (long long)a.seq, a.hash, name);
	return 0;
}

bool cli_audit_anchor_asked(int argc, char **argv)
{
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--anchor") || !strcmp(argv[i], "--pub"))
			return true;
	return false;
}

/* Check the anchor file against db: 0 holds, 1 not (printed). */
static int check_anchor(const char *db, const char *path, const char *pub)
{
	unsigned char pk[ANCHOR_PK_BYTES];
	char *text = NULL, why[512], name[17];
	struct anchor a;
	struct store *s = NULL;
	struct qerr e;
	size_t len;
	bool holds = false;
	int rc;

	qerr_clear(&e);
	rc = file_read(path, ANCHOR_TEXT_MAX - 1, "an anchor", &text, &len, &e);
	if (!rc)
		rc = anchor_parse(text, len, &a, &e);
	free(text);
	if (!rc && pub && !(rc = anchor_pub_load(pub, pk, &e)) &&
	    sodium_memcmp(pk, a.pk, sizeof(pk)))
		rc = qerr_set(&e, Q_ERR_FORBIDDEN, "",
			      "'%s' was signed by another key than '%s'", path,
			      pub);
	if (rc) {
		printf("audit verify: anchor '%s': %s\n", path, e.msg);
		return 1;
	}
	rc = store_open(db, &s, &e);
	if (!rc)
		rc = anchor_check(s, &a, &holds, why, sizeof(why), &e);
	store_close(s);
	if (rc) {
		fprintf(stderr, "quan: %s\n", e.msg);
		return 1;
	}
	anchor_key_name(a.pk, name);
	printf("audit verify: %s (anchor signed by key %s%s)\n", why, name,
	       pub ? "" : ", the key it names: pass --pub to pin the office's");
	return holds ? 0 : 1;
}

int cmd_audit_verify_anchor(int argc, char **argv)
{
	const char *anchor = NULL, *pub = NULL, *db = NULL;
	char *rest[ANCHOR_ARGS_MAX];
	int n = 0, bad, rc;

	if (argc > ANCHOR_ARGS_MAX - 1) {
		fputs("quan: audit verify: too many arguments\n", stderr);
		return EXIT_BAD_INPUT;
	}
	for (int i = 0; i < argc; i++) {
		bool is_anchor = !strcmp(argv[i], "--anchor");

		if ((is_anchor || !strcmp(argv[i], "--pub")) && i + 1 < argc) {
			*(is_anchor ? &anchor : &pub) = argv[++i];
			continue;
		}
		if (!strcmp(argv[i], "--db") && i + 1 < argc)
			db = argv[i + 1];
		rest[n++] = argv[i];
	}
	rest[n] = NULL;
	if (!anchor || !db) {
		fputs("quan: audit verify: --anchor ANCHOR and --db DB, each "
		      "with a value\n",
		      stderr);
		return EXIT_BAD_INPUT;
	}
	bad = check_anchor(db, anchor, pub);
	/* Then the chain itself, as `audit verify` checks it. */
	rc = cmd_audit(n, rest);
	return bad ? 1 : rc;
}
