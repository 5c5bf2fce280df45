/*
 * fuzz_doctype.c - libFuzzer target for document type detection (ZIP
 * central directories above all): any input answers one of the four
 * types or a refusal with a message, never reads out of bounds, and a
 * type is consistent with the input's first bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/doctype.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum doctype t = DOCTYPE__COUNT;
	struct qerr e;
	/* A copy of exactly size bytes, so ASan sees any read past it. */
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (doctype_detect(buf, size, &t, &e) == Q_OK) {
		if (t == DOCTYPE_NONE || t >= DOCTYPE__COUNT)
			abort();
		if (t == DOCTYPE_PDF && memcmp(buf, "%PDF-", 5))
			abort();
		if (t == DOCTYPE_OFD && (size < 22 || buf[0] != 'P'))
			abort();
		if (doctype_parse(doctype_name(t)) != t)
			abort();
	} else if (t != DOCTYPE_NONE || e.code != Q_ERR_INVALID || !e.msg[0]) {
		abort();
	}
	free(buf);
	return 0;
}
