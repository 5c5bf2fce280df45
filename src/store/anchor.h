/*
 * anchor.h - the audit chain's head, signed with the office's key, to be
 * kept outside the office's control.
 *
 * The chain (audit.h) shows an event changed in the middle, but not the
 * newest events removed, nor the whole chain re-hashed by someone who can
 * write the database. An anchor records the head as it stood (sequence
 * number and hash, and the hash of event #1, which names the chain),
 * signed with the office's Ed25519 key (libsodium). Checked later against
 * the database, it proves the chain still holds that head; a copy of it
 * at the supervising department or on a published page is what makes
 * that proof worth anything.
 *
 * An office key is two text files: KEYFILE (mode 0600)
 *
 *   quan office key (Ed25519); keep this file secret
 *   public: <64 hex>
 *   secret: <128 hex>
 *
 * and KEYFILE.pub, the same without the secret line ("quan office public
 * key (Ed25519)"). An anchor is this text, each line exactly so:
 *
 *   quan audit anchor 1
 *   seq: 57
 *   hash: <64 hex: event #57's hash>
 *   first: <64 hex: event #1's hash>
 *   at: 2025-11-20T10:00:00+08:00
 *   backend: sqlite
 *   key: <64 hex: the public key>
 *   signature: <128 hex>
 *
 * The signature (crypto_sign_detached) is over every byte before the
 * "signature: " line. The form is canonical: a reader rebuilds those bytes
 * from the values it parsed and refuses a file that differs, so one anchor
 * has exactly one spelling. An empty chain anchors as seq 0 with the
 * genesis hash (AUDIT_GENESIS) in both hash and first.
 */
#ifndef QUAN_ANCHOR_H
#define QUAN_ANCHOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

#define ANCHOR_PK_BYTES 32
#define ANCHOR_SK_BYTES 64
#define ANCHOR_SIG_BYTES 64
#define ANCHOR_TEXT_MAX 640 /* a whole anchor, with its NUL */

/* An office key: the public half always, the secret one when loaded from
 * KEYFILE (has_secret). anchor_key_release wipes the secret. */
struct anchor_key {
	unsigned char pk[ANCHOR_PK_BYTES];
	unsigned char sk[ANCHOR_SK_BYTES];
	bool has_secret;
};

/* What one anchor states. */
struct anchor {
	int64_t seq;	/* the head's sequence number (0: empty chain) */
	char hash[65];	/* its hash, hex */
	char first[65]; /* event #1's hash: which chain this is */
	int64_t at;	/* when, by the office's clock (epoch seconds) */
	char backend[16];
	unsigned char pk[ANCHOR_PK_BYTES];
	unsigned char sig[ANCHOR_SIG_BYTES];
};

/* Make a new key: path (created 0600) and path.pub beside it. Refuses
 * (Q_ERR_CONFLICT) when either exists; nothing is left half-written. */
int anchor_key_new(const char *path, struct qerr *e);

/* Load KEYFILE (the secret and public halves, checked to belong together). */
int anchor_key_load(const char *path, struct anchor_key *k, struct qerr *e);

/* Load a public key from KEYFILE.pub (or from KEYFILE itself). */
int anchor_pub_load(const char *path, unsigned char pk[ANCHOR_PK_BYTES],
		    struct qerr *e);

void anchor_key_release(struct anchor_key *k);

/* The key's short name for people: its first 16 hex digits. */
void anchor_key_name(const unsigned char pk[ANCHOR_PK_BYTES], char out[17]);

/* Read the chain's head into a (seq, hash, first, backend), walking the
 * whole chain: a chain that does not hold (audit_walk) is not anchored
 * (Q_ERR_CONFLICT naming the first bad event). */
int anchor_head(struct store *s, struct anchor *a, struct qerr *e);

/* The same, walking only the events after prev's head (an anchor_head or
 * anchor_head_from answer of this store): the chain must go on from
 * prev's hash, so a head that does not extend the one anchored before is
 * not anchored. prev NULL: anchor_head. */
int anchor_head_from(struct store *s, const struct anchor *prev,
		     struct anchor *a, struct qerr *e);

/* Stamp a with at and k's public key, sign it, and write its text into out
 * (ANCHOR_TEXT_MAX bytes). k must hold its secret. */
int anchor_sign(struct anchor *a, const struct anchor_key *k, int64_t at,
		char out[ANCHOR_TEXT_MAX], struct qerr *e);

/* Parse an anchor's text (len bytes) into a, and check its signature
 * against the key it records. Q_ERR_INVALID for a malformed or
 * non-canonical text, Q_ERR_FORBIDDEN for a signature that does not
 * verify. Whether that key is the office's is the caller's question. */
int anchor_parse(const char *text, size_t len, struct anchor *a,
		 struct qerr *e);

/* Whether the chain in s still holds a's head: *holds, and why (n bytes)
 * says what was found, e.g. "anchored head #57 hash 3f2a9c1b... missing:
 * chain ends at #54". Returns 0, or a Q_ERR_* of the store. */
int anchor_check(struct store *s, const struct anchor *a, bool *holds,
		 char *why, size_t n, struct qerr *e);

#endif
