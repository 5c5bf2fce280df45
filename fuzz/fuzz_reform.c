/*
 * fuzz_reform.c - libFuzzer target for the reform loader.
 *
 * Any input is applied as a reform to the bundled Shanghai 2025 policy:
 * it loads (a policy to free) or fails with diagnostics; it never
 * crashes, leaks or reads out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>

#include "core/file.h"
#include "sim/reform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *pol;
	static size_t plen;
	struct diag_list d = DIAG_LIST_INIT;
	struct policy *p = NULL;
	const char *name = "fuzz.yaml", *buf = (const char *)data;
	struct qerr e;

	if (!pol && file_read(QUAN_DATADIR "/../policies/shanghai-2025.yaml",
			      POLICY_MAX_BYTES, "a policy", &pol, &plen, &e))
		abort();
	if (reform_load_buf("shanghai-2025.yaml", pol, plen, &name, &buf, &size,
			    1, &p, &d) == 0 &&
	    !p)
		abort();
	policy_free(p);
	diag_release(&d);
	return 0;
}
