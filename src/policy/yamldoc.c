#include "policy/yamldoc.h"

#include <stdbool.h>
#include <string.h>

#include "core/err.h"

struct loc yamldoc_loc(struct fy_node *n, struct loc fallback)
{
	for (int depth = 0; n && depth < 256; depth++) {
		void *it = NULL;
		struct fy_node_pair *pr;
		struct fy_token *t;
		const struct fy_mark *m;

		switch (fy_node_get_type(n)) {
		case FYNT_SCALAR:
			t = fy_node_get_scalar_token(n);
			m = t ? fy_token_start_mark(t) : NULL;
			if (!m)
				return fallback;
			return (struct loc){m->line + 1, m->column + 1};
		case FYNT_SEQUENCE:
			n = fy_node_sequence_iterate(n, &it);
			break;
		case FYNT_MAPPING:
			pr = fy_node_mapping_iterate(n, &it);
			n = pr ? fy_node_pair_key(pr) : NULL;
			break;
		default:
			return fallback;
		}
	}
	return fallback;
}

/* The place of the first byte that is not part of well-formed UTF-8 (no
 * overlong forms, no surrogates, at most U+10FFFF), or line 0 if there is
 * none. */
static struct loc utf8_bad(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;
	struct loc l = {1, 1};
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i];
		unsigned lo = 0x80, hi = 0xbf;
		size_t n;

		if (c < 0x80)
			n = 0;
		else if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return l;
		if (n > len - i - 1)
			return l;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		for (size_t k = 1; k <= n; k++) {
			if (s[i + k] < lo || s[i + k] > hi)
				return l;
			lo = 0x80;
			hi = 0xbf;
		}
		if (c == '\n') {
			l.line++;
			l.col = 1;
		} else {
			l.col++;
		}
		i += n + 1;
	}
	return (struct loc){0, 0};
}

static void output_nothing(struct fy_diag *diag, void *user, const char *buf,
			   size_t len)
{
	(void)diag;
	(void)user;
	(void)buf;
	(void)len;
}

int yamldoc_load(struct yamldoc *y, const char *name, const char *buf,
		 size_t len, const char *what, struct diag_list *d,
		 size_t *nerr)
{
	struct fy_diag_cfg dcfg;
	struct fy_parse_cfg cfg;
	struct fy_document *more;
	struct fy_diag_error *fe;
	void *it = NULL;
	struct loc bad;
	size_t before = d->n;

	memset(y, 0, sizeof(*y));
	*nerr = 0;
	bad = utf8_bad(buf, len);
	if (bad.line) {
		diag_add(d, name, bad.line, bad.col,
			 "the file is not valid UTF-8");
		*nerr = 1;
		return Q_ERR_POLICY;
	}
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = output_nothing;
	dcfg.colorize = false;
	y->dg = fy_diag_create(&dcfg);
	if (!y->dg)
		return Q_ERR_NOMEM;
	fy_diag_set_collect_errors(y->dg, true);
	memset(&cfg, 0, sizeof(cfg));
	cfg.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2;
	cfg.diag = y->dg;
	y->fyp = fy_parser_create(&cfg);
	if (!y->fyp || fy_parser_set_string(y->fyp, buf, len))
		return Q_ERR_NOMEM;
	y->doc = fy_parse_load_document(y->fyp);
	more = y->doc ? fy_parse_load_document(y->fyp) : NULL;
	/* A warning matters when no document came of it ("unsupported
	 * directive"). */
	while ((fe = fy_diag_errors_iterate(y->dg, &it)))
		if (fe->type >= FYET_ERROR ||
		    (!y->doc && fe->type >= FYET_WARNING))
			diag_add(d, name, fe->line > 0 ? fe->line : 0,
				 fe->column > 0 ? fe->column : 0, "%s",
				 fe->msg ? fe->msg : "invalid YAML");
	if (more) {
		struct loc l =
			yamldoc_loc(fy_document_root(more), (struct loc){0, 0});

		diag_add(d, name, l.line, l.col,
			 "%s holds one YAML document; this is a second", what);
		fy_parse_document_destroy(y->fyp, more);
	}
	if (y->doc)
		y->root = fy_document_root(y->doc);
	if (d->n == before && !y->root)
		diag_add(d, name, 0, 0, "the file holds no YAML document");
	*nerr = d->n - before;
	return *nerr ? Q_ERR_POLICY : Q_OK;
}

void yamldoc_release(struct yamldoc *y)
{
	if (y->doc)
		fy_parse_document_destroy(y->fyp, y->doc);
	if (y->fyp)
		fy_parser_destroy(y->fyp);
	if (y->dg) {
		/* Leaving collect mode frees the collected errors, which
		 * fy_diag_unref() alone leaks in libfyaml 0.7. */
		fy_diag_set_collect_errors(y->dg, false);
		fy_diag_destroy(y->dg);
	}
	memset(y, 0, sizeof(*y));
}

struct yamldoc_shown yamldoc_show(const char *s, size_t len)
{
	struct yamldoc_shown r;
	size_t n = len > 64 ? 61 : len;
	size_t i;

	for (i = 0; i < n; i++)
		r.s[i] =
			(unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	if (n < len) {
		memcpy(r.s + n, "...", 3);
		n += 3;
	}
	r.s[n] = '\0';
	return r;
}

bool yamldoc_text_eq(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

bool yamldoc_is_map(struct fy_node *n)
{
	return n && !fy_node_is_alias(n) && fy_node_get_type(n) == FYNT_MAPPING;
}

bool yamldoc_id_ok(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max || s[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}
