/*
 * doctype.c - the type of a document by its magic bytes, and an OFD's ZIP
 * central directory read with bounds checks (doctype.h).
 */
#include "core/doctype.h"

#include <assert.h>
#include <string.h>

/* ZIP record signatures and fixed sizes (APPNOTE.TXT 4.3.7, 4.3.12,
 * 4.3.16). */
#define ZIP_LOCAL_SIG 0x04034b50u
#define ZIP_CENTRAL_SIG 0x02014b50u
#define ZIP_EOCD_SIG 0x06054b50u
#define ZIP_CENTRAL_LEN 46u
#define ZIP_EOCD_LEN 22u
#define ZIP_COMMENT_MAX 0xffffu

static const char *const names[DOCTYPE__COUNT] = {"", "pdf", "jpeg", "png",
						  "ofd"};
static const char *const mimes[DOCTYPE__COUNT] = {
	"application/octet-stream", "application/pdf", "image/jpeg",
	"image/png", "application/ofd"};

const char *doctype_name(enum doctype t)
{
	assert(t >= DOCTYPE_NONE && t < DOCTYPE__COUNT);
	return names[t];
}

const char *doctype_mime(enum doctype t)
{
	assert(t >= DOCTYPE_NONE && t < DOCTYPE__COUNT);
	return mimes[t];
}

enum doctype doctype_parse(const char *name)
{
	assert(name);
	for (int t = DOCTYPE_PDF; t < DOCTYPE__COUNT; t++)
		if (!strcmp(name, names[t]))
			return (enum doctype)t;
	return DOCTYPE_NONE;
}

static uint32_t le16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* The offset of the end-of-central-directory record: the last signature
 * whose comment length reaches exactly to the end of the buffer. */
static int zip_eocd(const uint8_t *buf, size_t len, size_t *at)
{
	size_t lo, i;

	if (len < ZIP_EOCD_LEN)
		return -1;
	lo = len - ZIP_EOCD_LEN > ZIP_COMMENT_MAX
		     ? len - ZIP_EOCD_LEN - ZIP_COMMENT_MAX
		     : 0;
	for (i = len - ZIP_EOCD_LEN + 1; i-- > lo;) {
		if (le32(buf + i) == ZIP_EOCD_SIG &&
		    i + ZIP_EOCD_LEN + le16(buf + i + 20) == len) {
			*at = i;
			return 0;
		}
	}
	return -1;
}

static int zip_refuse(struct qerr *e, const char *why)
{
	return qerr_set(e, Q_ERR_INVALID, "file",
			"file: not an OFD document: %s", why);
}

/* Whether the ZIP in buf holds an entry named exactly OFD.xml. */
static int ofd_check(const uint8_t *buf, size_t len, struct qerr *e)
{
	static const char want[] = "OFD.xml";
	size_t eocd, pos, end;
	uint32_t count, cd_size, cd_off;

	if (zip_eocd(buf, len, &eocd))
		return zip_refuse(e,
				  "a ZIP without its end of central directory");
	if (le16(buf + eocd + 4) != 0 || le16(buf + eocd + 6) != 0 ||
	    le16(buf + eocd + 8) != le16(buf + eocd + 10))
		return zip_refuse(e, "a split ZIP archive");
	count = le16(buf + eocd + 10);
	cd_size = le32(buf + eocd + 12);
	cd_off = le32(buf + eocd + 16);
	if (count == 0xffffu || cd_size == 0xffffffffu || cd_off == 0xffffffffu)
		return zip_refuse(e, "a ZIP64 archive");
	if (cd_off > eocd || cd_size > eocd - cd_off)
		return zip_refuse(
			e, "its central directory lies outside the file");
	pos = cd_off;
	end = (size_t)cd_off + cd_size;
	for (uint32_t i = 0; i < count; i++) {
		size_t name_len, step;

		if (end - pos < ZIP_CENTRAL_LEN ||
		    le32(buf + pos) != ZIP_CENTRAL_SIG)
			return zip_refuse(e, "a broken central directory");
		name_len = le16(buf + pos + 28);
		step = ZIP_CENTRAL_LEN + name_len + le16(buf + pos + 30) +
		       le16(buf + pos + 32);
		if (step > end - pos)
			return zip_refuse(
				e,
				"a central directory entry runs past its end");
		if (name_len == sizeof(want) - 1 &&
		    !memcmp(buf + pos + ZIP_CENTRAL_LEN, want, name_len))
			return Q_OK;
		pos += step;
		assert(pos <= end);
	}
	return zip_refuse(e, "the ZIP holds no OFD.xml at its root");
}

int doctype_detect(const uint8_t *buf, size_t len, enum doctype *out,
		   struct qerr *e)
{
	static const uint8_t png[8] = {0x89, 'P',  'N',	 'G',
				       0x0d, 0x0a, 0x1a, 0x0a};
	int rc;

	assert(out);
	assert(buf || len == 0);
	*out = DOCTYPE_NONE;
	if (len >= 5 && !memcmp(buf, "%PDF-", 5)) {
		*out = DOCTYPE_PDF;
	} else if (len >= 3 && buf[0] == 0xff && buf[1] == 0xd8 &&
		   buf[2] == 0xff) {
		*out = DOCTYPE_JPEG;
	} else if (len >= 8 && !memcmp(buf, png, 8)) {
		*out = DOCTYPE_PNG;
	} else if (len >= 4 && le32(buf) == ZIP_LOCAL_SIG) {
		rc = ofd_check(buf, len, e);
		if (rc)
			return rc;
		*out = DOCTYPE_OFD;
	} else {
		return qerr_set(
			e, Q_ERR_INVALID, "file",
			"file: not a PDF, JPEG, PNG or OFD document (by its first bytes)");
	}
	return Q_OK;
}
