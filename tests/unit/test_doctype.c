/*
 * test_doctype.c - document types by their bytes (src/core/doctype.c):
 * each of PDF, JPEG, PNG and OFD, their truncations, and hostile ZIPs
 * (an OFD.xml in a folder, a central directory that lies about its
 * size, its offset or its entries, ZIP64 and split archives).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/doctype.h"

/* A ZIP under construction (stored entries, no data). */
struct zip {
	uint8_t b[4096];
	size_t len;
	size_t cd_off, cd_len;
	unsigned n;
};

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

static void add(struct zip *z, const void *p, size_t n)
{
	assert_true(z->len + n <= sizeof(z->b));
	memcpy(z->b + z->len, p, n);
	z->len += n;
}

/* Local headers for names (their bodies empty), then the central
 * directory, then the end record with comment. */
static void zip_build(struct zip *z, const char *const *names, unsigned n,
		      const char *comment)
{
	uint32_t offs[8];
	uint8_t h[46];

	memset(z, 0, sizeof(*z));
	assert_true(n <= 8);
	for (unsigned i = 0; i < n; i++) {
		memset(h, 0, 30);
		offs[i] = (uint32_t)z->len;
		put32(h, 0x04034b50);
		put16(h + 26, (unsigned)strlen(names[i]));
		add(z, h, 30);
		add(z, names[i], strlen(names[i]));
	}
	z->cd_off = z->len;
	for (unsigned i = 0; i < n; i++) {
		memset(h, 0, 46);
		put32(h, 0x02014b50);
		put16(h + 28, (unsigned)strlen(names[i]));
		put32(h + 42, offs[i]);
		add(z, h, 46);
		add(z, names[i], strlen(names[i]));
	}
	z->cd_len = z->len - z->cd_off;
	z->n = n;
	memset(h, 0, 22);
	put32(h, 0x06054b50);
	put16(h + 8, n);
	put16(h + 10, n);
	put32(h + 12, (uint32_t)z->cd_len);
	put32(h + 16, (uint32_t)z->cd_off);
	put16(h + 20, (unsigned)strlen(comment));
	add(z, h, 22);
	add(z, comment, strlen(comment));
}

/* The end record's offset (no comment). */
static size_t eocd(const struct zip *z)
{
	return z->cd_off + z->cd_len;
}

static enum doctype type_of(const void *b, size_t len, struct qerr *e)
{
	enum doctype t = DOCTYPE__COUNT;
	int rc = doctype_detect(b, len, &t, e);

	assert_int_equal(rc == 0, t != DOCTYPE_NONE);
	if (rc) {
		assert_int_equal(rc, Q_ERR_INVALID);
		assert_string_equal(e->field, "file");
	}
	return t;
}

static void test_magic(void **state)
{
	static const uint8_t png[] = {0x89, 'P',  'N',	'G', 0x0d,
				      0x0a, 0x1a, 0x0a, 0,   0};
	static const uint8_t jpg[] = {0xff, 0xd8, 0xff, 0xe0};
	struct qerr e;

	assert_int_equal(type_of("%PDF-1.7\n", 9, &e), DOCTYPE_PDF);
	assert_int_equal(type_of(jpg, sizeof(jpg), &e), DOCTYPE_JPEG);
	assert_int_equal(type_of(png, sizeof(png), &e), DOCTYPE_PNG);
	assert_int_equal(type_of(png, 8, &e), DOCTYPE_PNG);
	/* one byte short of each signature */
	assert_int_equal(type_of("%PDF", 4, &e), DOCTYPE_NONE);
	assert_non_null(strstr(e.msg, "not a PDF, JPEG, PNG or OFD"));
	assert_int_equal(type_of(jpg, 2, &e), DOCTYPE_NONE);
	assert_int_equal(type_of(png, 7, &e), DOCTYPE_NONE);
	assert_int_equal(type_of("", 0, &e), DOCTYPE_NONE);
	assert_int_equal(type_of(" %PDF-1.7", 9, &e), DOCTYPE_NONE);
	assert_int_equal(type_of("GIF89a", 6, &e), DOCTYPE_NONE);
	assert_string_equal(doctype_mime(DOCTYPE_OFD), "application/ofd");
	assert_int_equal(doctype_parse("jpeg"), DOCTYPE_JPEG);
	assert_int_equal(doctype_parse("gif"), DOCTYPE_NONE);
}

static void test_ofd(void **state)
{
	const char *names[] = {"Doc_0/Document.xml", "OFD.xml", "Doc_0/x"};
	struct zip z;
	struct qerr e;

	zip_build(&z, names, 3, "");
	assert_int_equal(type_of(z.b, z.len, &e), DOCTYPE_OFD);
	/* a comment after the end record is allowed */
	zip_build(&z, names, 2, "made by a test");
	assert_int_equal(type_of(z.b, z.len, &e), DOCTYPE_OFD);
	/* every shorter prefix is refused, and none is read past */
	zip_build(&z, names, 3, "");
	for (size_t n = 0; n < z.len; n++)
		assert_int_equal(type_of(z.b, n, &e), DOCTYPE_NONE);
}

static void test_ofd_not_at_root(void **state)
{
	const char *nested[] = {"Doc_0/OFD.xml"};
	const char *lower[] = {"ofd.xml"};
	const char *dir[] = {"OFD.xml/", "OFD.xml.bak", "OFD.xm"};
	struct zip z;
	struct qerr e;

	zip_build(&z, nested, 1, "");
	assert_int_equal(type_of(z.b, z.len, &e), DOCTYPE_NONE);
	assert_non_null(strstr(e.msg, "no OFD.xml at its root"));
	zip_build(&z, lower, 1, "");
	assert_int_equal(type_of(z.b, z.len, &e), DOCTYPE_NONE);
	zip_build(&z, dir, 3, "");
	assert_int_equal(type_of(z.b, z.len, &e), DOCTYPE_NONE);
	zip_build(&z, dir, 0, "");
	assert_int_equal(type_of(z.b, z.len, &e), DOCTYPE_NONE);
}

static void test_hostile_zip(void **state)
{
	const char *names[] = {"a", "OFD.xml"};
	struct zip z;
	struct qerr e;
	size_t at;

	/* the directory's offset past the end record */
	zip_build(&z, names, 2, "");
	at = eocd(&z);
	put32(z.b + at + 16, (uint32_t)at + 1);
	assert_int_equal(type_of(z.b, z.len, &e), DOCTYPE_NONE);
	put32(z.b + at + 16, 0xfffffff0u);
	assert_int_equal(type_of(z.b, z.len, &e), DOCTYPE_NONE);
	/* its size reaching past the end record */
	zip_build(&z, names, 2, "");
	put32(z.b + eocd(&z) + 12, (uint32_t)z.cd_len + 1);
	assert_int_equal(type_of(z.b, z.len, &e), DOCTYPE_NONE);
	/* more entries claimed than the directory holds (OFD.xml is the
	 * second: the first entry's name length made to swallow it) */
	zip_build(&z, names, 2, "");
	put16(z.b + z.cd_off + 28, 0xffff);
	assert_int_equal(type_of(z.b, z.len, &e), DOCTYPE_NONE);
	assert_non_null(strstr(e.msg, "runs past its end"));
	zip_build(&z, names, 1, "");
	put16(z.b + eocd(&z) + 8, 5);
	put16(z.b + eocd(&z) + 10, 5);
	assert_int_equal(type_of(z.b, z.len, &e), DOCTYPE_NONE);
	/* an entry's signature broken */
	zip_build(&z, names, 2, "");
	z.b[z.cd_off] = 'X';
	assert_int_equal(type_of(z.b, z.len, &e), DOCTYPE_NONE);
	/* ZIP64 markers and a split archive */
	zip_build(&z, names, 2, "");
	put32(z.b + eocd(&z) + 16, 0xffffffffu);
	assert_int_equal(type_of(z.b, z.len, &e), DOCTYPE_NONE);
	assert_non_null(strstr(e.msg, "ZIP64"));
	zip_build(&z, names, 2, "");
	put16(z.b + eocd(&z) + 4, 1);
	assert_int_equal(type_of(z.b, z.len, &e), DOCTYPE_NONE);
	/* a comment length that does not reach the end exactly */
	zip_build(&z, names, 2, "xy");
	put16(z.b + eocd(&z) + 20, 3);
	assert_int_equal(type_of(z.b, z.len, &e), DOCTYPE_NONE);
	/* a local header alone */
	assert_int_equal(type_of("PK\3\4", 4, &e), DOCTYPE_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_magic),
		cmocka_unit_test(test_ofd),
		cmocka_unit_test(test_ofd_not_at_root),
		cmocka_unit_test(test_hostile_zip),
	};

	return cmocka_run_group_tests_name("doctype", tests, NULL, NULL);
}
