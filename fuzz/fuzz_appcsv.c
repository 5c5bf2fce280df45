/*
 * fuzz_appcsv.c - libFuzzer target for the application CSV reader.
 *
 * Any input is read row by row to its end or to its first error: each
 * row is a JSON application that parses, or an error with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/appcsv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct appcsv r;
	struct qerr e;
	int rc = appcsv_open(&r, "fuzz.csv", (const char *)data, size,
			     size & 1, &e);

	while (!rc) {
		char *json;
		size_t len;
		bool has_at;
		int64_t at;
		struct application a;

		rc = appcsv_next(&r, &json, &len, &a, &has_at, &at, &e);
		if (rc) {
			if (!e.msg[0])
				abort();
			break;
		}
		if (!json)
			break;
		if (strlen(json) != len)
			abort();
		app_release(&a);
		free(json);
	}
	appcsv_release(&r);
	return 0;
}
