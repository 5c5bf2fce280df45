#include "policy/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diag_init(struct diag_list *d)
{
	d->items = NULL;
	d->n = d->alloc = d->truncated = 0;
}

void diag_add(struct diag_list *d, const char *file, int line, int col,
	      const char *fmt, ...)
{
	va_list ap;
	char buf[512];
	struct diag *it;

	if (d->n >= DIAG_MAX)
		goto drop;
	if (d->n == d->alloc) {
		size_t na = d->alloc ? d->alloc * 2 : 8;
		struct diag *ni = realloc(d->items, na * sizeof(*ni));

		if (!ni)
			goto drop;
		d->items = ni;
		d->alloc = na;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	it = &d->items[d->n];
	it->file = strdup(file ? file : "");
	it->msg = strdup(buf);
	if (!it->file || !it->msg) {
		free(it->file);
		free(it->msg);
		goto drop;
	}
	it->line = line;
	it->col = col;
	d->n++;
	return;
drop:
	d->truncated++;
}

void diag_print(const struct diag_list *d, FILE *out)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *it = &d->items[i];

		if (it->line > 0)
			fprintf(out, "%s:%d:%d: %s\n", it->file, it->line,
				it->col, it->msg);
		else
			fprintf(out, "%s: %s\n", it->file, it->msg);
	}
	if (d->truncated)
		fprintf(out, "(%zu more problems not shown)\n", d->truncated);
}

void diag_release(struct diag_list *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->items[i].file);
		free(d->items[i].msg);
	}
	free(d->items);
	diag_init(d);
}
