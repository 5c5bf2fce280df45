#include "core/csv.h"
#include "core/utf8.h"

#include <stdbool.h>
#include <string.h>

void csv_init(struct csv *c, const char *buf, size_t len)
{
	c->buf = buf;
	c->len = len;
	c->pos = 0;
	c->line = 1;
	c->record_line = 0;
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		c->pos = 3;
}

int csv_next(struct csv *c, char (*fields)[CSV_FIELD_MAX], size_t *n,
	     struct qerr *e)
{
	size_t len = 0;
	bool quoted = false, was_quoted = false;

	*n = 0;
	/* Skip blank lines. */
	while (c->pos < c->len &&
	       (c->buf[c->pos] == '\n' || c->buf[c->pos] == '\r')) {
		if (c->buf[c->pos] == '\n')
			c->line++;
		c->pos++;
	}
	if (c->pos >= c->len)
		return Q_OK;
	c->record_line = c->line;
	*n = 1;
	for (;;) {
		int ch = c->pos < c->len ? (unsigned char)c->buf[c->pos] : -1;
		bool end_field = false, end_record = false;

		if (quoted) {
			if (ch < 0)
				return qerr_set(
					e, Q_ERR_INVALID, "",
					"line %ld: a quoted field is not closed",
					c->line);
			c->pos++;
			if (ch == '"') {
				if (c->pos < c->len && c->buf[c->pos] == '"') {
					c->pos++;
				} else {
					quoted = false;
					continue;
				}
			} else if (ch == '\n') {
				c->line++;
			}
		} else if (ch < 0 || ch == '\n' ||
			   (ch == '\r' && c->pos + 1 < c->len &&
			    c->buf[c->pos + 1] == '\n') ||
			   (ch == '\r' && c->pos + 1 == c->len)) {
			end_record = true;
		} else if (ch == ',') {
			c->pos++;
			end_field = true;
		} else if (ch == '"' && len == 0 && !was_quoted) {
			c->pos++;
			quoted = was_quoted = true;
			continue;
		} else if (was_quoted) {
			return qerr_set(e, Q_ERR_INVALID, "",
					"line %ld: text after a closing quote",
					c->line);
		} else {
			c->pos++;
		}
		if (end_field || end_record) {
			char *f = fields[*n - 1];

			f[len] = '\0';
			if (memchr(f, '\0', len) || !utf8_valid(f, len))
				return qerr_set(
					e, Q_ERR_INVALID, "",
					"line %ld, field %zu: not UTF-8 text",
					c->line, *n);
			if (end_record) {
				if (ch == '\r')
					c->pos++;
				if (ch >= 0)
					c->pos++;
				c->line++;
				return Q_OK;
			}
			if (*n == CSV_MAX_FIELDS)
				return qerr_set(e, Q_ERR_INVALID, "",
						"line %ld: more than %d fields",
						c->line, CSV_MAX_FIELDS);
			(*n)++;
			len = 0;
			was_quoted = false;
			continue;
		}
		if (len + 1 >= CSV_FIELD_MAX)
			return qerr_set(
				e, Q_ERR_INVALID, "",
				"line %ld, field %zu: longer than %d bytes",
				c->line, *n, CSV_FIELD_MAX - 1);
		fields[*n - 1][len++] = (char)ch;
	}
}
