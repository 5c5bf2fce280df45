/*
 * utf8.c - well-formed UTF-8 (utf8.h).
 */
#include "core/utf8.h"

#include <assert.h>

size_t utf8_seq(const unsigned char *s, size_t len)
{
	unsigned c, cp;
	size_t n;

	assert(s && len > 0);
	c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	assert(n >= 2 && n <= 4);
	return n;
}

bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	assert(s || len == 0);
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(u + i, len - i);

		if (!n)
			return false;
		i += n;
	}
	return true;
}
