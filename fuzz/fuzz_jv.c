/*
 * fuzz_jv.c - libFuzzer target holding jv_read (engine/jv.h) to jansson.
 *
 * Whatever jv_read accepts, jansson (JSON_REJECT_DUPLICATES) accepts too,
 * and the two trees are equal: then app_parse_json answers the same
 * whichever reader read the text.
 */
#include <stdint.h>
#include <stdlib.h>

#include "engine/jv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jv_arena quick = {0}, slow = {0};
	struct jv *a = NULL, *b = NULL;
	json_error_t jerr;
	json_t *j;
	int rc = jv_read((const char *)data, size, &quick, &a);

	if (rc == JV_UNSURE || rc == Q_ERR_NOMEM) {
		jv_arena_free(&quick);
		return 0;
	}
	if (rc != Q_OK || !a)
		abort();
	j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!j || jv_from_jansson(j, &slow, &b) || !jv_equal(a, b))
		abort();
	json_decref(j);
	jv_arena_free(&quick);
	jv_arena_free(&slow);
	return 0;
}
