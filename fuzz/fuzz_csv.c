/*
 * fuzz_csv.c - libFuzzer target for csv_next().
 *
 * Any input is read record by record to its end or to an error: every
 * record has 1..CSV_MAX_FIELDS fields, each NUL-terminated within
 * CSV_FIELD_MAX, without NUL bytes inside and as valid UTF-8 for json;
 * an error carries a message; the reader always moves forward.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char fields[CSV_MAX_FIELDS][CSV_FIELD_MAX];
	struct csv c;
	struct qerr e;
	size_t n;

	csv_init(&c, (const char *)data, size);
	for (;;) {
		size_t before = c.pos;

		qerr_clear(&e);
		if (csv_next(&c, fields, &n, &e)) {
			if (!e.msg[0])
				abort();
			return 0;
		}
		if (n == 0)
			return 0;
		if (n > CSV_MAX_FIELDS || c.pos <= before)
			abort();
		for (size_t i = 0; i < n; i++) {
			json_t *j;

			if (strnlen(fields[i], CSV_FIELD_MAX) >= CSV_FIELD_MAX)
				abort();
			j = json_string(fields[i]);
			if (!j)
				abort();
			json_decref(j);
		}
	}
}
