/*
 * textwidth.h - how many terminal columns a UTF-8 text takes.
 *
 * printf's "%-10s" pads by bytes, and a Chinese character is 3 bytes of
 * UTF-8 but 2 columns on a terminal, so a table with Chinese labels comes
 * out ragged. These pad by columns instead. The width of a character
 * follows Unicode's East Asian Width (wide and fullwidth: 2; combining
 * marks: 0; the rest: 1), as wcwidth(3) does in a UTF-8 locale, but
 * without depending on the locale the command runs in.
 */
#ifndef QUAN_TEXTWIDTH_H
#define QUAN_TEXTWIDTH_H

#include <stddef.h>

/* The columns s (UTF-8, NUL-terminated) takes; an invalid byte counts as
 * one column. */
size_t textwidth(const char *s);

/* s, then spaces up to width columns, into out (n bytes, always
 * NUL-terminated; s is cut at a whole character when out is too small).
 * A text already as wide as width or wider is copied as it is, as "%-Ns"
 * would. Returns out, so that it can stand in a printf argument list. */
const char *textwidth_pad(char *out, size_t n, const char *s, size_t width);

#endif
