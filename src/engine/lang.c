#include "engine/lang.h"

#include <assert.h>
#include <string.h>

#define LANG_DEPTH_MAX 32
#define LANG_KEY_MAX 64

bool lang_wants_zh(const char *h)
{
	if (!h)
		return false;
	while (*h == ' ' || *h == '\t')
		h++;
	if ((h[0] != 'z' && h[0] != 'Z') || (h[1] != 'h' && h[1] != 'H'))
		return false;
	return h[2] == '\0' || h[2] == '-' || h[2] == ';' || h[2] == ',' ||
	       h[2] == ' ';
}

static int localize(json_t *j, int depth)
{
	const char *k;
	json_t *v;
	size_t i;

	if (depth > LANG_DEPTH_MAX)
		return 0;
	if (json_is_array(j)) {
		json_array_foreach(j, i,
				   v) if (localize(v, depth + 1)) return -1;
		return 0;
	}
	if (!json_is_object(j))
		return 0;
	json_object_foreach(j, k, v)
	{
		char zk[LANG_KEY_MAX];
		json_t *zh;
		size_t n = strlen(k);

		if (localize(v, depth + 1))
			return -1;
		if (n + 4 > sizeof(zk) || (n > 3 && !strcmp(k + n - 3, "_zh")))
			continue;
		memcpy(zk, k, n);
		memcpy(zk + n, "_zh", 4);
		zh = json_object_get(j, zk);
		if (!json_is_string(zh) || !json_is_string(v))
			continue;
		/* Setting an existing key keeps the iteration valid. */
		if (json_string_set(v, json_string_value(zh)))
			return -1;
	}
	return 0;
}

int lang_localize_zh(json_t *j)
{
	assert(LANG_KEY_MAX > 4);
	return localize(j, 0);
}
