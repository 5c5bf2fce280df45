/*
 * fuzz_app.c - libFuzzer target for app_parse_json().
 *
 * Any input either parses, and then every string of the application is
 * NUL-terminated within its limit and every number is in its range, or is
 * refused with a code, an empty *out and a one-line message in valid UTF-8.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/app.h"

static void check_string(const char *s, size_t max)
{
	if (!s || strlen(s) > max)
		abort();
}

static bool utf8_ok(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	while (*u) {
		int n = *u < 0x80	      ? 1
			: (*u & 0xe0) == 0xc0 ? 2
			: (*u & 0xf0) == 0xe0 ? 3
			: (*u & 0xf8) == 0xf0 ? 4
					      : 0;

		if (n == 0)
			return false;
		for (int i = 1; i < n; i++)
			if ((u[i] & 0xc0) != 0x80)
				return false;
		u += n;
	}
	return true;
}

static void check_party(const struct app_party *p)
{
	check_string(p->uscc, 18);
	check_string(p->name, APP_MAX_STRING);
	check_string(p->registered_city, APP_MAX_STRING);
	check_string(p->industry, APP_MAX_STRING);
	if (p->ncontrollers > APP_MAX_CONTROLLERS)
		abort();
	for (size_t i = 0; i < p->ncontrollers; i++)
		check_string(p->controllers[i], APP_MAX_STRING);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct application zero;
	struct application a;
	struct qerr e;
	int rc = app_parse_json((const char *)data, size, &a, &e);

	if (rc != Q_OK) {
		if (rc != e.code || rc <= 0 || rc >= Q_ERR__COUNT ||
		    e.msg[0] == '\0' || !utf8_ok(e.msg) || !utf8_ok(e.field) ||
		    strchr(e.msg, '\n') || memcmp(&a, &zero, sizeof(a)) != 0)
			abort();
		app_release(&a);
		return 0;
	}
	/* The office numbers and stamps: a parsed application has neither. */
	if (a.id || a.received_at)
		abort();
	if (a.client_ref) {
		check_string(a.client_ref, APP_MAX_REF);
		if (!app_ref_valid(a.client_ref, strlen(a.client_ref)))
			abort();
	}
	check_string(a.program, APP_MAX_NAME);
	check_string(a.measure, APP_MAX_NAME);
	check_party(&a.applicant);
	check_party(&a.supplier);
	check_string(a.contract.number, APP_MAX_STRING);
	if (a.contract.value <= 0 || a.contract.term_months < 1 ||
	    a.contract.term_months > 600 || a.contract.kind >= KIND__COUNT ||
	    a.contract.nother_subsidies > APP_MAX_OTHER_SUBSIDIES)
		abort();
	for (size_t i = 0; i < a.contract.nother_subsidies; i++) {
		check_string(a.contract.other_subsidies[i].program,
			     APP_MAX_STRING);
		if (a.contract.other_subsidies[i].amount < 0)
			abort();
	}
	check_string(a.contract.compute.chip, APP_MAX_STRING);
	check_string(a.contract.compute.location, APP_MAX_STRING);
	if (a.contract.has_compute && (a.contract.compute.accelerators < 1 ||
				       a.contract.compute.hours < 1))
		abort();
	app_release(&a);
	return 0;
}
