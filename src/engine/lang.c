#include "engine/lang.h"

#include <assert.h>
#include <string.h>

#define LANG_DEPTH_MAX 32
#define LANG_KEY_MAX 64

/* The quality of one language range, in thousandths: "q=0.5" is 500; a
 * range without q is 1000. Anything that is not a q value reads as 1000
 * for the range, 0 for a malformed q (refused, as RFC 9110 allows). */
static int range_q(const char *p, const char *end)
{
	int q = 0, scale = 100;

	while (p < end && *p != ';')
		p++;
	while (p < end && (*p == ';' || *p == ' ' || *p == '\t'))
		p++;
	if (p >= end)
		return 1000;
	if (end - p < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=')
		return 1000;
	p += 2;
	if (p < end && *p == '1')
		return 1000;
	if (p >= end || *p != '0')
		return 0;
	p++;
	if (p < end && *p == '.')
		for (p++; p < end && *p >= '0' && *p <= '9' && scale; p++) {
			q += (*p - '0') * scale;
			scale /= 10;
		}
	return q;
}

bool lang_wants_zh(const char *h)
{
	int best_zh = 0, best_other = 0, zh_at = -1, other_at = -1, n = 0;

	if (!h)
		return false;
	for (; *h; n++) {
		const char *end = strchr(h, ',');
		const char *t = h;
		int q;

		if (!end)
			end = h + strlen(h);
		while (t < end && (*t == ' ' || *t == '\t'))
			t++;
		q = range_q(t, end);
		if (end - t >= 2 && (t[0] == 'z' || t[0] == 'Z') &&
		    (t[1] == 'h' || t[1] == 'H') &&
		    (t + 2 == end || t[2] == '-' || t[2] == ';' ||
		     t[2] == ' ')) {
			if (q > best_zh) {
				best_zh = q;
				zh_at = n;
			}
		} else if (t < end && *t != ';' && q > best_other) {
			best_other = q;
			other_at = n;
		}
		h = *end ? end + 1 : end;
	}
	/* The higher quality wins; of equals, the range named first. */
	return best_zh > best_other ||
	       (best_zh > 0 && best_zh == best_other && zh_at < other_at);
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
		/* A list of texts and its Chinese twin (compare's notes). */
		if (json_is_array(v) && json_is_array(zh)) {
			if (json_array_clear(v) || json_array_extend(v, zh))
				return -1;
			continue;
		}
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

static const struct {
	const char *en, *zh;
} states_zh[] = {
	{"ineligible", "不符合条件"},
	{"reserved", "已预留"},
	{"waitlisted", "候补"},
	{"queued", "待集中评审"},
	{"awarded", "已批准"},
	{"rejected", "已驳回"},
	{"withdrawn", "已撤回"},
	{"expired", "已过期"},
	{"waiting_second_approver", "待第二审批人确认"},
};

const char *lang_state_zh(const char *state)
{
	assert(sizeof(states_zh) / sizeof(states_zh[0]) >= 8);
	if (!state)
		return NULL;
	for (size_t i = 0; i < sizeof(states_zh) / sizeof(states_zh[0]); i++)
		if (!strcmp(state, states_zh[i].en))
			return states_zh[i].zh;
	return state;
}
