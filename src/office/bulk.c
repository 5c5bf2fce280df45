/*
 * bulk.c - bulk approval (bulk.h).
 */
#include "office/bulk.h"

#include <assert.h>
#include <string.h>

#include "engine/errzh.h"

/* One id's answer: the approval's own fields and its outcome. */
static json_t *one(struct office *o, const char *id, rate_bp rate,
		   const char *key, const char *by, int64_t now, int *kind)
{
	struct office_move mv = {.verb = OFFICE_MOVE_APPROVE,
				 .id = id,
				 .key = key,
				 .rate = rate,
				 .value = -1};
	json_t *answer = NULL;
	struct qerr e;

	qerr_clear(&e);
	if (office_move(o, &mv, by, now, &answer, &e)) {
		char zh[512];

		*kind = 2;
		/* the error as the API's: its Chinese beside it */
		return json_pack("{s:s,s:s,s:{s:s,s:s,s:s}}", "id", id,
				 "outcome", "refused", "error", "code",
				 qerr_name(e.code), "message", e.msg,
				 "message_zh",
				 errzh_message(qerr_name(e.code), e.field,
					       e.msg, zh, sizeof(zh)));
	}
	*kind = json_is_true(json_object_get(answer, "second_approval_needed"))
			? 1
			: 0;
	json_object_set_new(
		answer, "outcome",
		json_string(*kind ? "waiting_second_approver" : "approved"));
	if (!json_object_get(answer, "id"))
		json_object_set_new(answer, "id", json_string(id));
	return answer;
}

int office_approve_bulk(struct office *o, const char *const *ids, size_t n,
			rate_bp rate, const char *key, const char *by,
			int64_t now, json_t **out, struct qerr *e)
{
	size_t count[3] = {0, 0, 0};
	json_t *results;

	assert(o && by && out);
	*out = NULL;
	if (n == 0 || n > OFFICE_BULK_MAX)
		return qerr_set(e, Q_ERR_INVALID, "ids",
				"ids: from 1 to %d applications",
				OFFICE_BULK_MAX);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(ids[i], ids[j]))
				return qerr_set(e, Q_ERR_INVALID, "ids",
						"ids: '%.64s' is given twice",
						ids[i]);
	results = json_array();
	if (!results)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	for (size_t i = 0; i < n; i++) {
		int kind = 2;
		json_t *r = one(o, ids[i], rate, key, by, now, &kind);

		if (!r || json_array_append_new(results, r)) {
			json_decref(results);
			return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
		}
		count[kind]++;
	}
	*out = json_pack("{s:o,s:I,s:I,s:I}", "results", results, "approved",
			 (json_int_t)count[0], "waiting", (json_int_t)count[1],
			 "refused", (json_int_t)count[2]);
	return *out ? Q_OK : qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
}
