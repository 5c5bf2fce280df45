/*
 * test_anchor.c - office keys and signed anchors (src/store/anchor.h):
 * keys written once and read back, an anchor's text round-tripping, every
 * single-bit change of it refused, and the chain checked against it as
 * events are added, deleted and rewritten behind the store's back, on a
 * SQLite file or on PostgreSQL when QUAN_TEST_DB names a server.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/anchor.h"
#include "store/audit.h"
#include "store/store.h"
#include "testdb.h"

struct fx {
	struct testdb db;
	struct store *s;
	char key[128];
	struct anchor_key k;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct qerr e;

	if (!f || testdb_create(&f->db)) {
		free(f);
		return -1;
	}
	snprintf(f->key, sizeof(f->key), "/tmp/quan-anchor-key-%ld",
		 (long)getpid());
	unlink(f->key);
	snprintf(f->key + strlen(f->key), 8, ".pub");
	unlink(f->key);
	f->key[strlen(f->key) - 4] = '\0';
	if (store_open(f->db.url, &f->s, &e) || anchor_key_new(f->key, &e) ||
	    anchor_key_load(f->key, &f->k, &e)) {
		fprintf(stderr, "setup: %s\n", e.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char pub[160];

	store_close(f->s);
	testdb_drop(&f->db);
	snprintf(pub, sizeof(pub), "%s.pub", f->key);
	unlink(f->key);
	unlink(pub);
	anchor_key_release(&f->k);
	free(f);
	return 0;
}

/* Append n events in one transaction. */
static void add_events(struct store *s, int n)
{
	struct qerr e;

	assert_int_equal(store_begin(s, &e), 0);
	for (int i = 0; i < n; i++) {
		struct store_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.at = 1763604000 + i;
		snprintf(ev.who, sizeof(ev.who), "ada");
		snprintf(ev.action, sizeof(ev.action), "apply");
		snprintf(ev.subject, sizeof(ev.subject), "SH-%d", i);
		assert_int_equal(store_event_append(s, &ev, &e), 0);
	}
	assert_int_equal(store_commit(s, &e), 0);
}

static void test_keys(void **state)
{
	struct fx *f = *state;
	unsigned char pk[ANCHOR_PK_BYTES];
	char pub[160], name[17];
	struct anchor_key k2;
	struct stat st;
	struct qerr e;

	assert_true(f->k.has_secret);
	assert_int_equal(stat(f->key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(pub, sizeof(pub), "%s.pub", f->key);
	assert_int_equal(anchor_pub_load(pub, pk, &e), 0);
	assert_memory_equal(pk, f->k.pk, sizeof(pk));
	/* The secret file gives its public half too. */
	assert_int_equal(anchor_pub_load(f->key, pk, &e), 0);
	assert_memory_equal(pk, f->k.pk, sizeof(pk));
	/* Written once. */
	assert_int_equal(anchor_key_new(f->key, &e), Q_ERR_CONFLICT);
	/* A public file is no signing key. */
	assert_int_equal(anchor_key_load(pub, &k2, &e), Q_ERR_INVALID);
	assert_non_null(strstr(e.msg, "no 'secret:' line"));
	assert_false(k2.has_secret);
	anchor_key_name(f->k.pk, name);
	assert_int_equal(strlen(name), 16);
}

static void test_key_halves_differ(void **state)
{
	struct fx *f = *state;
	char path[160], *text = NULL;
	struct anchor_key k2;
	struct qerr e;
	FILE *in, *out;
	size_t n;

	/* The public line of the key replaced by another key's. */
	snprintf(path, sizeof(path), "%s-mixed", f->key);
	in = fopen(f->key, "r");
	assert_non_null(in);
	text = calloc(1, 4096);
	n = fread(text, 1, 4095, in);
	fclose(in);
	assert_true(n > 0);
	text[strlen("quan office key (Ed25519); keep this file secret\n"
		    "public: ")] ^= 1;
	out = fopen(path, "w");
	fputs(text, out);
	fclose(out);
	free(text);
	assert_int_not_equal(anchor_key_load(path, &k2, &e), 0);
	unlink(path);
}

static void test_round_trip_and_every_bit(void **state)
{
	struct fx *f = *state;
	char text[ANCHOR_TEXT_MAX], copy[ANCHOR_TEXT_MAX];
	struct anchor a, b;
	struct qerr e;
	size_t len;

	add_events(f->s, 5);
	assert_int_equal(anchor_head(f->s, &a, &e), 0);
	assert_int_equal(a.seq, 5);
	assert_int_equal(anchor_sign(&a, &f->k, 1763604000, text, &e), 0);
	len = strlen(text);
	assert_int_equal(anchor_parse(text, len, &b, &e), 0);
	assert_int_equal(b.seq, 5);
	assert_string_equal(b.hash, a.hash);
	assert_string_equal(b.first, a.first);
	assert_int_equal(b.at, 1763604000);
	assert_string_equal(b.backend, store_backend(f->s));
	assert_memory_equal(b.pk, f->k.pk, sizeof(b.pk));
	assert_non_null(strstr(text, "at: 2025-11-20T10:00:00+08:00\n"));
	/* Every single-bit change of the file is refused, whatever it hits:
	 * a value, a name, a newline, the signature. */
	for (size_t i = 0; i < len; i++)
		for (int bit = 0; bit < 8; bit++) {
			memcpy(copy, text, len + 1);
			copy[i] ^= (char)(1 << bit);
			assert_int_not_equal(anchor_parse(copy, len, &b, &e),
					     0);
		}
	/* Cut short, or with something after it. */
	assert_int_equal(anchor_parse(text, len - 1, &b, &e), Q_ERR_INVALID);
	memcpy(copy, text, len);
	memcpy(copy + len, "x\n", 3);
	assert_int_equal(anchor_parse(copy, len + 2, &b, &e), Q_ERR_INVALID);
}

static void test_check(void **state)
{
	struct fx *f = *state;
	char text[ANCHOR_TEXT_MAX], why[512], sql[256];
	struct anchor a, empty;
	struct qerr e;
	bool holds = false;

	/* An empty chain anchors as seq 0, and every chain holds it. */
	assert_int_equal(anchor_head(f->s, &empty, &e), 0);
	assert_int_equal(empty.seq, 0);
	assert_string_equal(empty.hash, AUDIT_GENESIS);
	add_events(f->s, 6);
	assert_int_equal(
		anchor_check(f->s, &empty, &holds, why, sizeof(why), &e), 0);
	assert_true(holds);

	assert_int_equal(anchor_head(f->s, &a, &e), 0);
	assert_int_equal(anchor_sign(&a, &f->k, 1763604000, text, &e), 0);
	assert_int_equal(anchor_check(f->s, &a, &holds, why, sizeof(why), &e),
			 0);
	assert_true(holds);
	assert_non_null(strstr(why, "anchored head #6 hash "));
	assert_non_null(strstr(why, "held; chain ends at #6"));
	/* The chain grows: it still holds the head. */
	add_events(f->s, 2);
	assert_int_equal(anchor_check(f->s, &a, &holds, why, sizeof(why), &e),
			 0);
	assert_true(holds);
	assert_non_null(strstr(why, "chain ends at #8"));

	/* Rewritten at #6 (the rest of the chain is not re-linked: this is
	 * the anchor's check, not the walk's). */
	snprintf(sql, sizeof(sql),
		 "%s; UPDATE events SET hash = '%s' WHERE seq = 6",
		 f->db.pg ? "DROP TRIGGER events_immutable ON events"
			  : "DROP TRIGGER events_immutable",
		 AUDIT_GENESIS);
	assert_int_equal(testdb_exec(&f->db, sql, NULL, 0), 0);
	assert_int_equal(anchor_check(f->s, &a, &holds, why, sizeof(why), &e),
			 0);
	assert_false(holds);
	assert_non_null(
		strstr(why, "differs: the chain holds 0000000000000000"));

	/* The newest three deleted: the gap is named. */
	snprintf(sql, sizeof(sql), "%s; DELETE FROM events WHERE seq > 5",
		 f->db.pg ? "DROP TRIGGER events_kept ON events"
			  : "DROP TRIGGER events_kept");
	assert_int_equal(testdb_exec(&f->db, sql, NULL, 0), 0);
	assert_int_equal(anchor_check(f->s, &a, &holds, why, sizeof(why), &e),
			 0);
	assert_false(holds);
	snprintf(sql, sizeof(sql),
		 "anchored head #6 hash %.16s... missing: chain ends at #5",
		 a.hash);
	assert_string_equal(why, sql);

	/* Another chain of the same length: its first event differs. */
	assert_int_equal(testdb_exec(&f->db, "DELETE FROM events", NULL, 0), 0);
	add_events(f->s, 1);
	a.seq = 0;
	snprintf(a.hash, sizeof(a.hash), "%s", AUDIT_GENESIS);
	assert_int_equal(anchor_check(f->s, &a, &holds, why, sizeof(why), &e),
			 0);
	assert_true(holds); /* seq 0 names no chain */
}

static void test_broken_chain_not_anchored(void **state)
{
	struct fx *f = *state;
	struct anchor a;
	struct qerr e;

	add_events(f->s, 3);
	assert_int_equal(
		testdb_exec(
			&f->db,
			f->db.pg
				? "DROP TRIGGER events_immutable ON events;"
				  "UPDATE events SET who = 'eve' WHERE seq = 2"
				: "DROP TRIGGER events_immutable;"
				  "UPDATE events SET who = 'eve' WHERE seq = 2",
			NULL, 0),
		0);
	assert_int_equal(anchor_head(f->s, &a, &e), Q_ERR_CONFLICT);
	assert_non_null(strstr(e.msg, "does not hold at #2"));
}

/* The head read on from an earlier one is the head read whole; a head
 * read on from one the chain does not extend is refused. */
static void test_head_from(void **state)
{
	struct fx *f = *state;
	struct anchor first, on, whole, wrong;
	struct qerr e;

	add_events(f->s, 3);
	assert_int_equal(anchor_head(f->s, &first, &e), 0);
	assert_int_equal(first.seq, 3);
	add_events(f->s, 4);
	assert_int_equal(anchor_head_from(f->s, &first, &on, &e), 0);
	assert_int_equal(anchor_head(f->s, &whole, &e), 0);
	assert_int_equal(on.seq, 7);
	assert_int_equal(on.seq, whole.seq);
	assert_string_equal(on.hash, whole.hash);
	assert_string_equal(on.first, whole.first);
	/* Nothing new: the same head. */
	assert_int_equal(anchor_head_from(f->s, &on, &whole, &e), 0);
	assert_int_equal(whole.seq, 7);
	assert_string_equal(whole.hash, on.hash);
	/* An earlier head that event #4 does not link to. */
	wrong = first;
	wrong.hash[0] = wrong.hash[0] == 'a' ? 'b' : 'a';
	assert_int_equal(anchor_head_from(f->s, &wrong, &on, &e),
			 Q_ERR_CONFLICT);
	assert_non_null(strstr(e.msg, "does not hold at #4"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_halves_differ, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_round_trip_and_every_bit,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_chain_not_anchored,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_from, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
