/*
 * fuzz_chips.c - libFuzzer target for the chip catalog loader.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "policy/chips.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct chip_catalog *c = NULL;
	int rc = chips_load_buf("fuzz.yaml", (const char *)data, size, &c, &d);

	assert((rc == 0) == (c != NULL));
	for (size_t i = 0; c && i < c->n; i++) {
		assert(c->chips[i].h100_bp > 0);
		assert(chips_find(c, c->chips[i].id, strlen(c->chips[i].id)) ==
		       &c->chips[i]);
	}
	chips_free(c);
	diag_release(&d);
	return 0;
}
