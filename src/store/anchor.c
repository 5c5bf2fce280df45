/*
 * anchor.c - signed anchors of the audit chain's head (anchor.h).
 */
#include "store/anchor.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "core/date.h"
#include "core/file.h"
#include "store/audit.h"

#define KEY_HEAD "quan office key (Ed25519); keep this file secret\n"
#define PUB_HEAD "quan office public key (Ed25519)\n"
#define ANCHOR_HEAD "quan audit anchor 1\n"
#define KEY_FILE_MAX 4096

static int sodium_ready(struct qerr *e)
{
	if (sodium_init() < 0)
		return qerr_set(e, Q_ERR_IO, "", "libsodium cannot start");
	return 0;
}

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Write len bytes of text to a new file at path with mode; O_EXCL, so an
 * existing file is never overwritten. */
static int write_new(const char *path, const char *text, size_t len, int mode,
		     struct qerr *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	size_t done = 0;

	if (fd < 0)
		return qerr_set(e, errno == EEXIST ? Q_ERR_CONFLICT : Q_ERR_IO,
				"", "'%s': %s", path,
				errno == EEXIST
					? "exists already, not overwritten"
					: strerror(errno));
	while (done < len) {
		ssize_t w = write(fd, text + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	if (done < len || fsync(fd) || close(fd)) {
		int err = errno;

		unlink(path);
		return qerr_set(e, Q_ERR_IO, "", "'%s': %s", path,
				strerror(err));
	}
	return 0;
}

int anchor_key_new(const char *path, struct qerr *e)
{
	unsigned char pk[ANCHOR_PK_BYTES], sk[ANCHOR_SK_BYTES];
	char pkx[2 * ANCHOR_PK_BYTES + 1], skx[2 * ANCHOR_SK_BYTES + 1];
	char pub[4096], text[512];
	int n, rc;

	assert(path);
	if ((size_t)snprintf(pub, sizeof(pub), "%s.pub", path) >= sizeof(pub))
		return qerr_set(e, Q_ERR_INVALID, "", "'%s': path too long",
				path);
	if (!access(path, F_OK) || !access(pub, F_OK))
		return qerr_set(e, Q_ERR_CONFLICT, "",
				"'%s' exists already, not overwritten",
				access(path, F_OK) ? pub : path);
	if ((rc = sodium_ready(e)))
		return rc;
	crypto_sign_keypair(pk, sk);
	sodium_bin2hex(pkx, sizeof(pkx), pk, sizeof(pk));
	sodium_bin2hex(skx, sizeof(skx), sk, sizeof(sk));
	n = snprintf(text, sizeof(text), KEY_HEAD "public: %s\nsecret: %s\n",
		     pkx, skx);
	assert(n > 0 && (size_t)n < sizeof(text));
	rc = write_new(path, text, (size_t)n, 0600, e);
	sodium_memzero(text, sizeof(text));
	sodium_memzero(skx, sizeof(skx));
	sodium_memzero(sk, sizeof(sk));
	if (rc)
		return rc;
	n = snprintf(text, sizeof(text), PUB_HEAD "public: %s\n", pkx);
	assert(n > 0 && (size_t)n < sizeof(text));
	rc = write_new(pub, text, (size_t)n, 0644, e);
	if (rc)
		unlink(path);
	return rc;
}

/* The value of the line "name: VALUE" of text as hex into out (n bytes).
 * Q_ERR_INVALID when absent or not n bytes of lowercase hex. */
static int key_field(const char *path, const char *text, const char *name,
		     unsigned char *out, size_t n, struct qerr *e)
{
	char tag[16];
	const char *p, *end;

	snprintf(tag, sizeof(tag), "\n%s: ", name);
	p = strstr(text, tag);
	if (!p)
		return qerr_set(e, Q_ERR_INVALID, "",
				"'%s': no '%s:' line: not a quan office key",
				path, name);
	p += strlen(tag);
	end = strchr(p, '\n');
	if (!end || (size_t)(end - p) != 2 * n || !is_hex(p, 2 * n) ||
	    sodium_hex2bin(out, n, p, 2 * n, NULL, NULL, NULL))
		return qerr_set(e, Q_ERR_INVALID, "",
				"'%s': '%s:' is not %zu hex digits", path, name,
				2 * n);
	return 0;
}

static int key_read(const char *path, char **text, struct qerr *e)
{
	size_t len;
	int rc = file_read(path, KEY_FILE_MAX, "an office key", text, &len, e);

	if (rc)
		return rc;
	if (strlen(*text) != len ||
	    (strncmp(*text, KEY_HEAD, strlen(KEY_HEAD)) &&
	     strncmp(*text, PUB_HEAD, strlen(PUB_HEAD)))) {
		free(*text);
		*text = NULL;
		return qerr_set(e, Q_ERR_INVALID, "",
				"'%s' is not a quan office key", path);
	}
	return 0;
}

int anchor_key_load(const char *path, struct anchor_key *k, struct qerr *e)
{
	unsigned char check[ANCHOR_PK_BYTES];
	char *text = NULL;
	int rc;

	assert(path && k);
	memset(k, 0, sizeof(*k));
	if ((rc = sodium_ready(e)) || (rc = key_read(path, &text, e)))
		return rc;
	rc = key_field(path, text, "public", k->pk, sizeof(k->pk), e);
	if (!rc)
		rc = key_field(path, text, "secret", k->sk, sizeof(k->sk), e);
	sodium_memzero(text, strlen(text));
	free(text);
	if (!rc && (crypto_sign_ed25519_sk_to_pk(check, k->sk) ||
		    sodium_memcmp(check, k->pk, sizeof(check))))
		rc = qerr_set(e, Q_ERR_INVALID, "",
			      "'%s': its secret and public halves differ",
			      path);
	if (rc)
		anchor_key_release(k);
	else
		k->has_secret = true;
	return rc;
}

int anchor_pub_load(const char *path, unsigned char pk[ANCHOR_PK_BYTES],
		    struct qerr *e)
{
	char *text = NULL;
	int rc;

	assert(path && pk);
	if ((rc = key_read(path, &text, e)))
		return rc;
	rc = key_field(path, text, "public", pk, ANCHOR_PK_BYTES, e);
	sodium_memzero(text, strlen(text));
	free(text);
	return rc;
}

void anchor_key_release(struct anchor_key *k)
{
	if (!k)
		return;
	sodium_memzero(k, sizeof(*k));
}

void anchor_key_name(const unsigned char pk[ANCHOR_PK_BYTES], char out[17])
{
	sodium_bin2hex(out, 17, pk, 8);
}

/* --- the head -------------------------------------------------------------- */

struct head_walk {
	struct audit_walk w;
	struct anchor *a;
};

static int head_event(void *arg, const struct store_event *ev)
{
	struct head_walk *h = arg;

	if (audit_walk_step(&h->w, ev))
		return 1;
	if (ev->seq == 1)
		snprintf(h->a->first, sizeof(h->a->first), "%s", ev->hash);
	h->a->seq = ev->seq;
	snprintf(h->a->hash, sizeof(h->a->hash), "%s", ev->hash);
	return 0;
}

int anchor_head(struct store *s, struct anchor *a, struct qerr *e)
{
	return anchor_head_from(s, NULL, a, e);
}

int anchor_head_from(struct store *s, const struct anchor *prev,
		     struct anchor *a, struct qerr *e)
{
	struct head_walk h;
	int rc;

	assert(s && a && a != prev);
	memset(a, 0, sizeof(*a));
	snprintf(a->backend, sizeof(a->backend), "%s", store_backend(s));
	audit_walk_init(&h.w);
	h.a = a;
	if (prev && prev->seq > 0) {
		assert(!strcmp(prev->backend, a->backend));
		a->seq = prev->seq;
		snprintf(a->hash, sizeof(a->hash), "%s", prev->hash);
		snprintf(a->first, sizeof(a->first), "%s", prev->first);
		h.w.expect_seq = prev->seq + 1;
		h.w.count = prev->seq;
		snprintf(h.w.prev, sizeof(h.w.prev), "%s", prev->hash);
		rc = store_event_each_after(s, prev->seq, head_event, &h, e);
	} else {
		snprintf(a->hash, sizeof(a->hash), "%s", AUDIT_GENESIS);
		snprintf(a->first, sizeof(a->first), "%s", AUDIT_GENESIS);
		rc = store_event_each(s, head_event, &h, e);
	}
	if (rc)
		return rc;
	if (h.w.bad_seq)
		return qerr_set(e, Q_ERR_CONFLICT, "",
				"the audit chain does not hold at #%" PRId64
				" (%s): not anchored",
				h.w.bad_seq, h.w.why);
	assert(a->seq == h.w.count);
	return 0;
}

/* --- the text ---------------------------------------------------------------- */

/* The signed part of a's text into out (ANCHOR_TEXT_MAX bytes); its length. */
static size_t anchor_body(const struct anchor *a, char out[ANCHOR_TEXT_MAX])
{
	char at[DATETIME_TEXT_MAX], pkx[2 * ANCHOR_PK_BYTES + 1];
	int n;

	sodium_bin2hex(pkx, sizeof(pkx), a->pk, sizeof(a->pk));
	n = snprintf(out, ANCHOR_TEXT_MAX,
		     ANCHOR_HEAD "seq: %" PRId64 "\nhash: %s\nfirst: %s\n"
				 "at: %s\nbackend: %s\nkey: %s\n",
		     a->seq, a->hash, a->first, datetime_format(a->at, at),
		     a->backend, pkx);
	assert(n > 0 && n < ANCHOR_TEXT_MAX - 140);
	return (size_t)n;
}

int anchor_sign(struct anchor *a, const struct anchor_key *k, int64_t at,
		char out[ANCHOR_TEXT_MAX], struct qerr *e)
{
	char sigx[2 * ANCHOR_SIG_BYTES + 1];
	size_t n;
	int rc;

	assert(a && k && out);
	if (!k->has_secret)
		return qerr_set(e, Q_ERR_INVALID, "",
				"signing needs the office key's secret half");
	if ((rc = sodium_ready(e)))
		return rc;
	a->at = at;
	memcpy(a->pk, k->pk, sizeof(a->pk));
	n = anchor_body(a, out);
	crypto_sign_detached(a->sig, NULL, (const unsigned char *)out, n,
			     k->sk);
	sodium_bin2hex(sigx, sizeof(sigx), a->sig, sizeof(a->sig));
	snprintf(out + n, ANCHOR_TEXT_MAX - n, "signature: %s\n", sigx);
	return 0;
}

/* The next line of text from *p (up to end) that starts with name ": ";
 * its value into val (n bytes). */
static int next_field(const char **p, const char *end, const char *name,
		      char *val, size_t n, struct qerr *e)
{
	size_t k = strlen(name);
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));

	if (!nl || (size_t)(nl - *p) <= k + 2 || strncmp(*p, name, k) ||
	    (*p)[k] != ':' || (*p)[k + 1] != ' ' ||
	    (size_t)(nl - *p) - k - 2 >= n)
		return qerr_set(e, Q_ERR_INVALID, "",
				"not a quan anchor: expected a '%s:' line",
				name);
	memcpy(val, *p + k + 2, (size_t)(nl - *p) - k - 2);
	val[(nl - *p) - k - 2] = '\0';
	*p = nl + 1;
	return 0;
}

static int parse_fields(const char *text, size_t len, struct anchor *a,
			const char **sig_line, struct qerr *e)
{
	const char *p = text, *end = text + len;
	char seq[24], at[40], pkx[80], sigx[160];
	char *stop;
	int rc;

	if (len < strlen(ANCHOR_HEAD) ||
	    strncmp(text, ANCHOR_HEAD, strlen(ANCHOR_HEAD)))
		return qerr_set(e, Q_ERR_INVALID, "",
				"not a quan anchor: no '%.*s' line",
				(int)strlen(ANCHOR_HEAD) - 1, ANCHOR_HEAD);
	p += strlen(ANCHOR_HEAD);
	if ((rc = next_field(&p, end, "seq", seq, sizeof(seq), e)) ||
	    (rc = next_field(&p, end, "hash", a->hash, sizeof(a->hash), e)) ||
	    (rc = next_field(&p, end, "first", a->first, sizeof(a->first),
			     e)) ||
	    (rc = next_field(&p, end, "at", at, sizeof(at), e)) ||
	    (rc = next_field(&p, end, "backend", a->backend, sizeof(a->backend),
			     e)) ||
	    (rc = next_field(&p, end, "key", pkx, sizeof(pkx), e)))
		return rc;
	*sig_line = p;
	if ((rc = next_field(&p, end, "signature", sigx, sizeof(sigx), e)))
		return rc;
	if (p != end)
		return qerr_set(e, Q_ERR_INVALID, "",
				"not a quan anchor: text after the signature");
	errno = 0;
	a->seq = strtoll(seq, &stop, 10);
	if (errno || *stop || stop == seq || a->seq < 0 ||
	    strlen(a->hash) != 64 || !is_hex(a->hash, 64) ||
	    strlen(a->first) != 64 || !is_hex(a->first, 64) ||
	    datetime_parse(at, strlen(at), &a->at, NULL, "at", e) ||
	    strlen(pkx) != 2 * ANCHOR_PK_BYTES || !is_hex(pkx, strlen(pkx)) ||
	    sodium_hex2bin(a->pk, sizeof(a->pk), pkx, strlen(pkx), NULL, NULL,
			   NULL) ||
	    strlen(sigx) != 2 * ANCHOR_SIG_BYTES ||
	    !is_hex(sigx, strlen(sigx)) ||
	    sodium_hex2bin(a->sig, sizeof(a->sig), sigx, strlen(sigx), NULL,
			   NULL, NULL))
		return qerr_set(e, Q_ERR_INVALID, "",
				"not a quan anchor: a malformed value");
	return 0;
}

int anchor_parse(const char *text, size_t len, struct anchor *a, struct qerr *e)
{
	char body[ANCHOR_TEXT_MAX];
	const char *sig_line = NULL;
	size_t n;
	int rc;

	assert(text && a);
	memset(a, 0, sizeof(*a));
	if ((rc = sodium_ready(e)))
		return rc;
	if (len >= ANCHOR_TEXT_MAX || memchr(text, '\0', len))
		return qerr_set(e, Q_ERR_INVALID, "",
				"not a quan anchor: too long or binary");
	if ((rc = parse_fields(text, len, a, &sig_line, e)))
		return rc;
	/* One anchor, one spelling: what was parsed must give back the very
	 * bytes that were signed. */
	n = anchor_body(a, body);
	if (n != (size_t)(sig_line - text) || memcmp(body, text, n))
		return qerr_set(e, Q_ERR_INVALID, "",
				"not a quan anchor: not in its canonical form");
	if (crypto_sign_verify_detached(a->sig, (const unsigned char *)text, n,
					a->pk))
		return qerr_set(e, Q_ERR_FORBIDDEN, "",
				"the anchor's signature does not verify: the "
				"file was changed after it was signed");
	return 0;
}

/* --- checking a chain against an anchor ----------------------------------- */

struct check_walk {
	const struct anchor *a;
	int64_t last;	 /* the chain's last seq */
	char at_seq[65]; /* the hash the chain holds at a->seq */
	char first[65];
};

static int check_event(void *arg, const struct store_event *ev)
{
	struct check_walk *c = arg;

	if (ev->seq == 1)
		snprintf(c->first, sizeof(c->first), "%s", ev->hash);
	if (ev->seq == c->a->seq)
		snprintf(c->at_seq, sizeof(c->at_seq), "%s", ev->hash);
	if (ev->seq > c->last)
		c->last = ev->seq;
	return 0;
}

int anchor_check(struct store *s, const struct anchor *a, bool *holds,
		 char *why, size_t n, struct qerr *e)
{
	struct check_walk c;
	int rc;

	assert(s && a && holds);
	assert(why && n > 0);
	memset(&c, 0, sizeof(c));
	c.a = a;
	snprintf(c.first, sizeof(c.first), "%s", AUDIT_GENESIS);
	if (a->seq == 0)
		snprintf(c.at_seq, sizeof(c.at_seq), "%s", AUDIT_GENESIS);
	if ((rc = store_event_each(s, check_event, &c, e)))
		return rc;
	*holds = false;
	if (!c.at_seq[0])
		snprintf(why, n,
			 "anchored head #%" PRId64 " hash %.16s... missing: "
			 "chain ends at #%" PRId64,
			 a->seq, a->hash, c.last);
	else if (strcmp(c.at_seq, a->hash))
		snprintf(why, n,
			 "anchored head #%" PRId64 " hash %.16s... differs: "
			 "the chain holds %.16s... there (rewritten); chain "
			 "ends at #%" PRId64,
			 a->seq, a->hash, c.at_seq, c.last);
	else if (a->seq > 0 && strcmp(c.first, a->first))
		snprintf(why, n,
			 "anchored chain began with %.16s..., this one with "
			 "%.16s...: another chain",
			 a->first, c.first);
	else {
		*holds = true;
		snprintf(why, n,
			 "anchored head #%" PRId64 " hash %.16s... held; "
			 "chain ends at #%" PRId64,
			 a->seq, a->hash, c.last);
	}
	return 0;
}
