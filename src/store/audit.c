/*
 * audit.c - hashing the audit chain's events and walking a chain.
 */
#include "store/audit.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

/* Feed "<byte length>:<bytes>" to the digest. */
static bool put_field(EVP_MD_CTX *ctx, const char *p, size_t n)
{
	char len[24];
	int k = snprintf(len, sizeof(len), "%zu:", n);

	return EVP_DigestUpdate(ctx, len, (size_t)k) == 1 &&
	       (n == 0 || EVP_DigestUpdate(ctx, p, n) == 1);
}

static bool put_int(EVP_MD_CTX *ctx, int64_t v)
{
	char num[24];
	int k = snprintf(num, sizeof(num), "%" PRId64, v);

	return put_field(ctx, num, (size_t)k);
}

#define PUT_TEXT(ctx, field)                                                   \
	put_field(ctx, field, strnlen(field, sizeof(field)))

int audit_hash(struct store_event *ev)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	const char *detail = ev->detail ? ev->detail : "";
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok;

	if (!ctx)
		return Q_ERR_NOMEM;
	/* prev_hash is taken as written (64 hex digits in a sound chain);
	 * a malformed one is caught by the walk, which compares it with the
	 * previous event's hash. */
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, ev->prev_hash,
			      strnlen(ev->prev_hash, sizeof(ev->prev_hash))) ==
		     1 &&
	     put_int(ctx, ev->seq) && put_int(ctx, ev->at) &&
	     PUT_TEXT(ctx, ev->who) && PUT_TEXT(ctx, ev->action) &&
	     PUT_TEXT(ctx, ev->subject) && PUT_TEXT(ctx, ev->policy_hash) &&
	     put_field(ctx, detail, strlen(detail)) &&
	     EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return Q_ERR_NOMEM;
	for (unsigned int i = 0; i < 32; i++) {
		ev->hash[2 * i] = hex[md[i] >> 4];
		ev->hash[2 * i + 1] = hex[md[i] & 15];
	}
	ev->hash[64] = '\0';
	return Q_OK;
}

void audit_walk_init(struct audit_walk *w)
{
	memset(w, 0, sizeof(*w));
	w->expect_seq = 1;
	memcpy(w->prev, AUDIT_GENESIS, sizeof(w->prev));
}

static int bad(struct audit_walk *w, int64_t seq, const char *why)
{
	w->bad_seq = seq;
	snprintf(w->why, sizeof(w->why), "%s", why);
	return 1;
}

/* The checks run from the outside in: the event's place in the sequence,
 * its link to the event before it, then its own contents. So a removed
 * event is named as missing, a swap as a broken link at the first event out
 * of place, and an edit in place as a change of that event. */
int audit_walk_step(struct audit_walk *w, const struct store_event *ev)
{
	struct store_event copy;
	char why[sizeof(w->why)];

	if (w->bad_seq)
		return 1;
	if (ev->seq > w->expect_seq) {
		snprintf(why, sizeof(why), "event %" PRId64 " is missing",
			 w->expect_seq);
		return bad(w, w->expect_seq, why);
	}
	if (ev->seq < w->expect_seq) {
		snprintf(why, sizeof(why), "event %" PRId64 " is out of order",
			 ev->seq);
		return bad(w, ev->seq, why);
	}
	if (strncmp(ev->prev_hash, w->prev, sizeof(w->prev))) {
		if (ev->seq == 1)
			snprintf(why, sizeof(why),
				 "event 1 does not start the chain: an earlier "
				 "event was removed or it was changed");
		else
			snprintf(why, sizeof(why),
				 "event %" PRId64
				 " does not follow event %" PRId64
				 ": reordered or an earlier event was removed",
				 ev->seq, ev->seq - 1);
		return bad(w, ev->seq, why);
	}
	copy = *ev;
	if (audit_hash(&copy)) {
		snprintf(why, sizeof(why),
			 "event %" PRId64
			 " could not be checked: out of memory",
			 ev->seq);
		return bad(w, ev->seq, why);
	}
	if (strncmp(copy.hash, ev->hash, sizeof(copy.hash))) {
		snprintf(why, sizeof(why),
			 "event %" PRId64
			 " was changed: its hash does not match its contents",
			 ev->seq);
		return bad(w, ev->seq, why);
	}
	memcpy(w->prev, ev->hash, sizeof(w->prev));
	w->prev[sizeof(w->prev) - 1] = '\0';
	w->expect_seq++;
	w->count++;
	return 0;
}
