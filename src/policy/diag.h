/*
 * diag.h - a list of located diagnostics ("file:line:column: message").
 *
 * The policy and chip loaders report every problem they find, not just the
 * first, so a program office fixes a file in one pass. The list is capped at
 * DIAG_MAX entries; past that, `truncated` counts what was dropped.
 */
#ifndef QUAN_DIAG_H
#define QUAN_DIAG_H

#include <stddef.h>
#include <stdio.h>

#define DIAG_MAX 200

struct diag {
	char *file; /* owned */
	int line;   /* 1-based; 0 when the problem has no place */
	int col;    /* 1-based */
	char *msg;  /* owned: lowercase, no full stop */
};

struct diag_list {
	struct diag *items;
	size_t n;
	size_t alloc;
	size_t truncated;
};

#define DIAG_LIST_INIT                                                         \
	{                                                                      \
		NULL, 0, 0, 0                                                  \
	}

void diag_init(struct diag_list *d);

/* Append one diagnostic; silently counts it in `truncated` past DIAG_MAX or
 * when memory runs out. */
void diag_add(struct diag_list *d, const char *file, int line, int col,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Print every diagnostic as "file:line:col: message\n" (or "file: message"
 * without a place), then a line about truncation if any. */
void diag_print(const struct diag_list *d, FILE *out);

/* Free the contents; d is empty and reusable afterwards. */
void diag_release(struct diag_list *d);

#endif
