/*
 * textwidth.c - terminal columns of UTF-8 text (textwidth.h).
 */
#include "core/textwidth.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

/* The code point at s (len bytes of it at most) into *cp; the bytes it
 * takes, or 0 for an invalid or cut sequence. */
static size_t decode(const unsigned char *s, uint32_t *cp)
{
	size_t need, i;
	uint32_t c = s[0];

	assert(s && cp);
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0) {
		need = 2;
		c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		need = 3;
		c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		need = 4;
		c &= 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	*cp = c;
	return need;
}

/* The columns of code point c: East Asian Wide and Fullwidth are 2,
 * combining marks and zero-width characters 0. */
static size_t cp_width(uint32_t c)
{
	if (c == 0x200b || c == 0x200c || c == 0x200d || c == 0xfeff ||
	    (c >= 0x0300 && c <= 0x036f) || (c >= 0xfe00 && c <= 0xfe0f))
		return 0;
	if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0x303e) ||
	    (c >= 0x3041 && c <= 0x33ff) || (c >= 0x3400 && c <= 0x4dbf) ||
	    (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xa000 && c <= 0xa4cf) ||
	    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	    (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
	    (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd))
		return 2;
	return 1;
}

size_t textwidth(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0;

	assert(s);
	while (*p) {
		uint32_t c;
		size_t k = decode(p, &c);

		if (!k) {
			w++;
			p++;
			continue;
		}
		w += cp_width(c);
		p += k;
	}
	return w;
}

const char *textwidth_pad(char *out, size_t n, const char *s, size_t width)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = 0, w = 0;

	assert(out && n > 0);
	assert(s);
	/* copy whole characters while they fit */
	while (*p) {
		uint32_t c = 0;
		size_t k = decode(p, &c), cw = k ? cp_width(c) : 1;

		if (!k)
			k = 1; /* an invalid byte: copied, one column */
		if (len + k >= n)
			break;
		memcpy(out + len, p, k);
		len += k;
		w += cw;
		p += k;
	}
	while (w < width && len + 1 < n) {
		out[len++] = ' ';
		w++;
	}
	out[len] = '\0';
	return out;
}
