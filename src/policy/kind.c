/*
 * kind.c - the names of contract kinds (policy.h, enum contract_kind).
 */
#include "policy/policy.h"

#include <string.h>

static const char *const kind_names[KIND__COUNT] = {
	[KIND_RENT] = "rent",
	[KIND_BUY] = "buy",
	[KIND_BUILD] = "build",
	[KIND_API] = "api",
	[KIND_PRIVATE_DEPLOYMENT] = "private-deployment",
	[KIND_CORPUS] = "corpus",
	[KIND_GRANT] = "grant",
};

const char *kind_name(enum contract_kind k)
{
	if ((int)k < 0 || k >= KIND__COUNT)
		return "unknown";
	return kind_names[k];
}

int kind_lookup(const char *s, size_t len)
{
	for (int k = 0; k < KIND__COUNT; k++)
		if (strlen(kind_names[k]) == len &&
		    memcmp(kind_names[k], s, len) == 0)
			return k;
	return -1;
}
