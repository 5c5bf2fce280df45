/*
 * errzh.h - the errors a reader can meet, in Chinese.
 *
 * An error answer keeps its English message and its stable machine code;
 * a reader who asks for Chinese gets this catalogue's sentence in the
 * message's place (the office's own wording: no published text says
 * these). One table, keyed by the error's code and, where one code covers
 * several situations, by a phrase of its English message.
 */
#ifndef QUAN_ERRZH_H
#define QUAN_ERRZH_H

#include <stddef.h>

/* The Chinese of an error: code is a qerr_name ("missing_field") or a code
 * of the HTTP layer ("csrf", "rate_limited"); field the field it blames
 * (NULL or "" when none), kept in the sentence as written; en the English
 * message, whose first quoted name ('SH-2025-000001') is kept too. Always
 * a Chinese sentence (a general one for a code the table lacks), written
 * into buf of size n (truncated at a character's boundary). Returns buf. */
char *errzh_message(const char *code, const char *field, const char *en,
		    char *buf, size_t n);

/* The number of entries in the catalogue, and entry i's code (for tests
 * that walk it). */
size_t errzh_count(void);
const char *errzh_code(size_t i);

#endif
