/*
 * chips.c - load the chip catalog (chips.h, data/chips.yaml).
 *
 * Same discipline as the policy loader: every problem is reported with its
 * file:line:column, the walk goes on after one, and the catalog is handed
 * out only when there were none.
 */
#include "policy/chips.h"

#include "core/file.h"
#include "core/idkey.h"
#include "policy/yamldoc.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "core/err.h"

#define CHIPS_MAX_BYTES (1u << 20)
#define CHIPS_MAX 1024
#define CHIP_ID_MAX 64
#define CHIP_TEXT_MAX 1024
/* A ratio is at most 100 H100s, so h100_bp fits easily in an int32_t. */
#define RATIO_MAX_BP 1000000

struct cctx {
	const char *file;
	struct diag_list *d;
	size_t nerr;
	bool nomem;
};

static void err_at(struct cctx *c, struct loc l, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void err_at(struct cctx *c, struct loc l, const char *fmt, ...)
{
	char buf[480];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	diag_add(c->d, c->file, l.line, l.col, "%s", buf);
	c->nerr++;
}

/* The text of a scalar value, or NULL after reporting why it is not one. */
static const char *scalar(struct cctx *c, struct fy_node *n, struct loc at,
			  const char *key, size_t *len)
{
	const char *s;
	size_t tl = 0;

	*len = 0;
	if (!n)
		return "";
	if (fy_node_is_alias(n)) {
		err_at(c, at, "'%s': aliases are not supported", key);
		return NULL;
	}
	if (fy_node_get_type(n) != FYNT_SCALAR) {
		err_at(c, at, "'%s' must be a single value", key);
		return NULL;
	}
	if (fy_node_get_tag(n, &tl) && tl) {
		err_at(c, at, "'%s': YAML tags are not supported", key);
		return NULL;
	}
	s = fy_node_get_scalar(n, len);
	return s ? s : "";
}

static char *text(struct cctx *c, struct fy_node *n, struct loc at,
		  const char *key)
{
	size_t len;
	const char *s = scalar(c, n, at, key, &len);
	char *r;

	if (!s)
		return NULL;
	if (len == 0 || len > CHIP_TEXT_MAX || memchr(s, '\0', len)) {
		err_at(c, at, "'%s' must be text of 1 to %d bytes", key,
		       CHIP_TEXT_MAX);
		return NULL;
	}
	r = malloc(len + 1);
	if (!r) {
		c->nomem = true;
		return NULL;
	}
	memcpy(r, s, len);
	r[len] = '\0';
	return r;
}

/* "0.65" -> 6500: digits, optionally '.' and up to four decimals, above 0. */
static bool parse_ratio(const char *s, size_t len, int32_t *out)
{
	int64_t whole = 0, frac = 0;
	size_t i = 0, nd = 0, nf = 0;

	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++) {
		whole = whole * 10 + (s[i] - '0');
		if (whole > RATIO_MAX_BP / 10000)
			return false;
	}
	if (nd == 0)
		return false;
	if (i < len && s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, nf++) {
			if (nf == 4)
				return false;
			frac = frac * 10 + (s[i] - '0');
		}
		if (nf == 0)
			return false;
		for (; nf < 4; nf++)
			frac *= 10;
	}
	if (i != len || whole * 10000 + frac == 0 ||
	    whole * 10000 + frac > RATIO_MAX_BP)
		return false;
	*out = (int32_t)(whole * 10000 + frac);
	return true;
}

enum {
	K_ID,
	K_NAME,
	K_VENDOR,
	K_DOMESTIC,
	K_RATIO,
	K_SOURCE,
	K_NOTE,
	K_PRICE,
	K_PRICE_ON,
	K_PRICE_SOURCE,
	K_PRICE_ASSUMPTION,
	K__N
};
static const char *const chip_keys[K__N] = {"id",
					    "name",
					    "vendor",
					    "domestic",
					    "h100_ratio",
					    "source",
					    "note",
					    "ref_price_per_h100_hour",
					    "ref_price_on",
					    "ref_price_source",
					    "ref_price_assumption"};

/* Whether key i must be present in every chip. */
static bool chip_key_required(int i)
{
	return i <= K_SOURCE;
}

/* The reference price group: optional, but all of it or none of the
 * price, date and source; an assumption only beside a price. */
static void parse_price(struct cctx *c, struct chip *ch, struct fy_node **v,
			const struct loc *vat, const bool *seen, struct loc at,
			const char *what)
{
	size_t len;
	const char *s;
	struct qerr e;

	if (!seen[K_PRICE]) {
		for (int i = K_PRICE_ON; i <= K_PRICE_ASSUMPTION; i++)
			if (seen[i])
				err_at(c, vat[i],
				       "'%s' without 'ref_price_per_h100_hour' in %s",
				       chip_keys[i], what);
		return;
	}
	if (!seen[K_PRICE_ON])
		err_at(c, at, "missing key 'ref_price_on' in %s", what);
	if (!seen[K_PRICE_SOURCE])
		err_at(c, at, "missing key 'ref_price_source' in %s", what);
	s = scalar(c, v[K_PRICE], vat[K_PRICE], "ref_price_per_h100_hour",
		   &len);
	if (s) {
		money_t m;

		if (money_parse(s, len, &m, "ref_price_per_h100_hour", &e))
			err_at(c, vat[K_PRICE], "%s", e.msg);
		else if (m <= 0)
			err_at(c, vat[K_PRICE],
			       "ref_price_per_h100_hour must be above 0, not '%s'",
			       yamldoc_show(s, len).s);
		else
			ch->ref_price_per_h100_hour = m;
	}
	if (seen[K_PRICE_ON]) {
		s = scalar(c, v[K_PRICE_ON], vat[K_PRICE_ON], "ref_price_on",
			   &len);
		if (s &&
		    date_parse(s, len, &ch->ref_price_on, "ref_price_on", &e))
			err_at(c, vat[K_PRICE_ON], "%s", e.msg);
	}
	if (seen[K_PRICE_SOURCE])
		ch->ref_price_source =
			text(c, v[K_PRICE_SOURCE], vat[K_PRICE_SOURCE],
			     "ref_price_source");
	if (seen[K_PRICE_ASSUMPTION])
		ch->ref_price_assumption =
			text(c, v[K_PRICE_ASSUMPTION], vat[K_PRICE_ASSUMPTION],
			     "ref_price_assumption");
}

static void parse_chip(struct cctx *c, struct chip_catalog *cat,
		       struct fy_node *item, struct loc at, int *lines)
{
	struct chip *ch = &cat->chips[cat->n];
	struct fy_node *v[K__N] = {NULL};
	struct loc vat[K__N];
	bool seen[K__N] = {false};
	struct fy_node_pair *pr;
	void *it = NULL;
	char what[96] = "chip";
	size_t len;
	const char *s;

	lines[cat->n] = at.line;
	cat->n++;
	ch->ref_price_per_h100_hour = -1;
	if (!yamldoc_is_map(item)) {
		err_at(c, at, "a chip must be a mapping of keys");
		return;
	}
	while ((pr = fy_node_mapping_iterate(item, &it))) {
		struct fy_node *k = fy_node_pair_key(pr);
		struct loc kl = yamldoc_loc(k, at);

		s = k && !fy_node_is_alias(k) &&
				    fy_node_get_type(k) == FYNT_SCALAR
			    ? fy_node_get_scalar(k, &len)
			    : NULL;
		for (int i = 0; s && i < K__N; i++)
			if (yamldoc_text_eq(s, len, chip_keys[i])) {
				v[i] = fy_node_pair_value(pr);
				vat[i] = yamldoc_loc(v[i], kl);
				seen[i] = true;
			}
	}
	if (seen[K_ID] && v[K_ID] && fy_node_get_type(v[K_ID]) == FYNT_SCALAR &&
	    (s = fy_node_get_scalar(v[K_ID], &len)) && len)
		snprintf(what, sizeof(what), "chip '%s'",
			 yamldoc_show(s, len).s);
	it = NULL;
	while ((pr = fy_node_mapping_iterate(item, &it))) {
		struct fy_node *k = fy_node_pair_key(pr);
		bool known = false;

		s = k && !fy_node_is_alias(k) &&
				    fy_node_get_type(k) == FYNT_SCALAR
			    ? fy_node_get_scalar(k, &len)
			    : NULL;
		for (int i = 0; s && i < K__N; i++)
			known |= yamldoc_text_eq(s, len, chip_keys[i]);
		if (!known)
			err_at(c, yamldoc_loc(k, at), "unknown key '%s' in %s",
			       s ? yamldoc_show(s, len).s : "?", what);
	}
	for (int i = 0; i < K__N; i++)
		if (!seen[i] && chip_key_required(i))
			err_at(c, at, "missing key '%s' in %s", chip_keys[i],
			       what);

	if (seen[K_ID]) {
		s = scalar(c, v[K_ID], vat[K_ID], "id", &len);
		if (s && !yamldoc_id_ok(s, len, CHIP_ID_MAX)) {
			err_at(c, vat[K_ID],
			       "'%s' is not a valid chip id: use lowercase letters, digits and '-'",
			       yamldoc_show(s, len).s);
		} else if (s) {
			ch->id = text(c, v[K_ID], vat[K_ID], "id");
			ch->id_len = ch->id ? strlen(ch->id) : 0;
			for (size_t j = 0; ch->id && j + 1 < cat->n; j++)
				if (cat->chips[j].id &&
				    !strcmp(cat->chips[j].id, ch->id))
					err_at(c, vat[K_ID],
					       "duplicate chip id '%s' (first at line %d)",
					       ch->id, lines[j]);
		}
	}
	if (seen[K_NAME])
		ch->name = text(c, v[K_NAME], vat[K_NAME], "name");
	if (seen[K_VENDOR])
		ch->vendor = text(c, v[K_VENDOR], vat[K_VENDOR], "vendor");
	if (seen[K_SOURCE])
		ch->source = text(c, v[K_SOURCE], vat[K_SOURCE], "source");
	if (seen[K_NOTE])
		ch->note = text(c, v[K_NOTE], vat[K_NOTE], "note");
	if (seen[K_DOMESTIC]) {
		s = scalar(c, v[K_DOMESTIC], vat[K_DOMESTIC], "domestic", &len);
		if (s && yamldoc_text_eq(s, len, "true"))
			ch->domestic = true;
		else if (s && !yamldoc_text_eq(s, len, "false"))
			err_at(c, vat[K_DOMESTIC],
			       "'domestic' must be true or false");
	}
	if (seen[K_RATIO]) {
		s = scalar(c, v[K_RATIO], vat[K_RATIO], "h100_ratio", &len);
		if (s && !parse_ratio(s, len, &ch->h100_bp))
			err_at(c, vat[K_RATIO],
			       "h100_ratio '%s' is not a ratio like \"0.65\" (above 0, at most 100, up to four decimals)",
			       yamldoc_show(s, len).s);
	}
	parse_price(c, ch, v, vat, seen, at, what);
}

static void parse_catalog(struct cctx *c, struct fy_node *root,
			  struct chip_catalog *cat)
{
	struct loc at = yamldoc_loc(root, (struct loc){1, 1});
	struct fy_node *seq = NULL, *item;
	struct fy_node_pair *pr;
	void *it = NULL;
	int cnt;
	int *lines;

	if (!yamldoc_is_map(root)) {
		err_at(c, at,
		       "the chip catalog must be a mapping with 'chips'");
		return;
	}
	while ((pr = fy_node_mapping_iterate(root, &it))) {
		struct fy_node *k = fy_node_pair_key(pr);
		const char *s = NULL;
		size_t len = 0;

		if (k && !fy_node_is_alias(k) &&
		    fy_node_get_type(k) == FYNT_SCALAR)
			s = fy_node_get_scalar(k, &len);
		if (s && yamldoc_text_eq(s, len, "chips"))
			seq = fy_node_pair_value(pr);
		else
			err_at(c, yamldoc_loc(k, at),
			       "unknown key '%s' in the chip catalog",
			       s ? yamldoc_show(s, len).s : "?");
	}
	if (!seq || fy_node_is_alias(seq) ||
	    fy_node_get_type(seq) != FYNT_SEQUENCE) {
		err_at(c, seq ? yamldoc_loc(seq, at) : at,
		       "'chips' must be a list of chips");
		return;
	}
	cnt = fy_node_sequence_item_count(seq);
	if (cnt <= 0 || cnt > CHIPS_MAX) {
		err_at(c, yamldoc_loc(seq, at),
		       "'chips' must list 1 to %d chips", CHIPS_MAX);
		return;
	}
	cat->chips = calloc((size_t)cnt, sizeof(*cat->chips));
	lines = calloc((size_t)cnt, sizeof(*lines));
	if (!cat->chips || !lines) {
		free(lines);
		c->nomem = true;
		return;
	}
	it = NULL;
	while ((item = fy_node_sequence_iterate(seq, &it)) &&
	       cat->n < (size_t)cnt && !c->nomem)
		parse_chip(c, cat, item, yamldoc_loc(item, at), lines);
	free(lines);
}

static int index_catalog(struct chip_catalog *cat);

int chips_load_buf(const char *name, const char *buf, size_t len,
		   struct chip_catalog **out, struct diag_list *d)
{
	struct cctx c = {name ? name : "<chips>", d, 0, false};
	struct chip_catalog *cat = NULL;
	struct yamldoc y;
	size_t nerr = 0;
	int result;

	*out = NULL;
	memset(&y, 0, sizeof(y));
	if (len > CHIPS_MAX_BYTES) {
		diag_add(d, c.file, 0, 0,
			 "the file is larger than %u bytes: refused",
			 CHIPS_MAX_BYTES);
		return Q_ERR_POLICY;
	}
	cat = calloc(1, sizeof(*cat));
	if (!cat)
		return Q_ERR_NOMEM;
	result = yamldoc_load(&y, c.file, buf, len, "the chip catalog", d,
			      &nerr);
	c.nerr += nerr;
	if (!result)
		parse_catalog(&c, y.root, cat);
	if (result != Q_ERR_NOMEM)
		result = c.nomem ? Q_ERR_NOMEM : c.nerr ? Q_ERR_POLICY : Q_OK;
	if (result == Q_OK && index_catalog(cat))
		result = Q_ERR_NOMEM;
	yamldoc_release(&y);
	if (result == Q_OK)
		*out = cat;
	else
		chips_free(cat);
	return result;
}

int chips_load(const char *path, struct chip_catalog **out, struct diag_list *d)
{
	struct qerr e;
	char *buf;
	size_t len;
	int result;

	*out = NULL;
	result = file_read(path, CHIPS_MAX_BYTES, "a chip catalog", &buf, &len,
			   &e);
	if (result) {
		if (result != Q_ERR_IO)
			diag_add(d, path, 0, 0, "%s", e.msg);
		return result;
	}
	result = chips_load_buf(path, buf, len, out, d);
	free(buf);
	return result;
}

/* The hash of an id (chips_find's index) from its words and length, mixed
 * by one multiplication: a chip id is short, so no loop over its bytes. */
static inline uint64_t chip_hash(uint64_t head, uint64_t tail, size_t len)
{
	return id_mix(head, tail, len) >> 32;
}

/* Build the catalog's index; the ids are unique (parse_chip refuses a
 * repeated one). Returns -1 out of memory. */
static int index_catalog(struct chip_catalog *cat)
{
	size_t size = 16;

	assert(cat && !cat->index);
	assert(cat->n < CHIPS_NO_SLOT);
	while (size < 2 * cat->n)
		size *= 2;
	cat->index = malloc(size * sizeof(*cat->index));
	if (!cat->index)
		return -1;
	memset(cat->index, 0xff, size * sizeof(*cat->index));
	cat->index_mask = size - 1;
	for (size_t i = 0; i < cat->n; i++) {
		struct chip *ch = &cat->chips[i];
		size_t h;

		assert(ch->id && ch->id_len == strlen(ch->id));
		id_words(ch->id, ch->id_len, &ch->id_head, &ch->id_tail);
		h = chip_hash(ch->id_head, ch->id_tail, ch->id_len) &
		    cat->index_mask;
		while (cat->index[h] != CHIPS_NO_SLOT)
			h = (h + 1) & cat->index_mask;
		cat->index[h] = (uint16_t)i;
	}
	return 0;
}

const struct chip *chips_find(const struct chip_catalog *c, const char *id,
			      size_t len)
{
	/* Once per compute contract decided: one slot of the index, rarely
	 * two, and the id's words compared (its middle too when longer than
	 * sixteen bytes). */
	if (c && c->index) {
		uint64_t head, tail;
		size_t h;

		id_words(id, len, &head, &tail);
		h = chip_hash(head, tail, len) & c->index_mask;
		for (; c->index[h] != CHIPS_NO_SLOT;
		     h = (h + 1) & c->index_mask) {
			const struct chip *ch = &c->chips[c->index[h]];

			if (ch->id_len == len && ch->id_head == head &&
			    ch->id_tail == tail &&
			    (len <= 16 ||
			     memcmp(ch->id + 8, id + 8, len - 16) == 0))
				return ch;
		}
		return NULL;
	}
	for (size_t i = 0; c && i < c->n; i++)
		if (c->chips[i].id && c->chips[i].id_len == len &&
		    memcmp(c->chips[i].id, id, len) == 0)
			return &c->chips[i];
	return NULL;
}

void chips_free(struct chip_catalog *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->chips[i].id);
		free(c->chips[i].name);
		free(c->chips[i].vendor);
		free(c->chips[i].source);
		free(c->chips[i].note);
		free(c->chips[i].ref_price_source);
		free(c->chips[i].ref_price_assumption);
	}
	free(c->chips);
	free(c->index);
	free(c);
}
