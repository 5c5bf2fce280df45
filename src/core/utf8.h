/*
 * utf8.h - UTF-8 as the JSON readers and writers quan uses accept it
 * (jansson's rules): no overlong forms, no surrogates, nothing above
 * U+10FFFF.
 */
#ifndef QUAN_UTF8_H
#define QUAN_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* The length (1 to 4) of the well-formed sequence at s, of at most len
 * (> 0) bytes, or 0 when there is none there. */
size_t utf8_seq(const unsigned char *s, size_t len);

/* Whether s (len bytes) is well-formed UTF-8 throughout. NUL is a
 * character like any other here; callers that refuse it say so. */
bool utf8_valid(const char *s, size_t len);

#endif
