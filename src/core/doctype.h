/*
 * doctype.h - what kind of file a document is, by its bytes alone: the
 * four types an office accepts as evidence.
 *
 *   PDF   "%PDF-" at the start;
 *   JPEG  FF D8 FF at the start;
 *   PNG   the 8-byte signature 89 50 4E 47 0D 0A 1A 0A;
 *   OFD   a ZIP (local header "PK\3\4" at the start) whose central
 *         directory holds an entry named exactly "OFD.xml" (at the root,
 *         not in a folder): GB/T 33190's container. The central
 *         directory is read with every offset and length checked against
 *         the buffer; nothing is extracted. ZIP64 and split archives are
 *         refused (no OFD an office receives needs them).
 *
 * Pure: no allocation, no I/O, safe on hostile input (fuzz/fuzz_doctype.c).
 */
#ifndef QUAN_DOCTYPE_H
#define QUAN_DOCTYPE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

enum doctype {
	DOCTYPE_NONE = 0,
	DOCTYPE_PDF,
	DOCTYPE_JPEG,
	DOCTYPE_PNG,
	DOCTYPE_OFD,
	DOCTYPE__COUNT
};

/* The type of buf (len bytes) into *out: Q_OK, or Q_ERR_INVALID (field
 * "file") saying why it is none of the four, *out DOCTYPE_NONE. */
int doctype_detect(const uint8_t *buf, size_t len, enum doctype *out,
		   struct qerr *e);

/* "pdf", "jpeg", "png", "ofd" ("" for DOCTYPE_NONE). */
const char *doctype_name(enum doctype t);

/* The media type served with it: "application/pdf", "image/jpeg",
 * "image/png", "application/ofd" ("application/octet-stream" for none). */
const char *doctype_mime(enum doctype t);

/* The type named name ("pdf" ...), or DOCTYPE_NONE. */
enum doctype doctype_parse(const char *name);

#endif
