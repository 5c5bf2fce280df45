/*
 * desk.c - what the auditor's desk reads and records: a filtered page of
 * the audit log, replay results as JSON with a bounded list, and failed
 * sign-ins.
 */
#include "office/office_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/date.h"

/* --- the event log ---------------------------------------------------------- */

struct events_page {
	json_t *list;
	int64_t last;
	int n;
};

static int event_j(void *arg, const struct store_event *ev)
{
	struct events_page *p = arg;
	char at[DATETIME_TEXT_MAX];
	json_t *detail = NULL;
	json_t *j;

	assert(p && ev);
	if (ev->detail && ev->detail[0])
		detail = json_loads(ev->detail, JSON_DECODE_ANY, NULL);
	if (!detail && ev->detail && ev->detail[0])
		detail = json_string(ev->detail); /* shown as it is */
	j = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s?,s:o?,s:s}", "seq",
		      (json_int_t)ev->seq, "at", datetime_format(ev->at, at),
		      "who", ev->who, "action", ev->action, "subject",
		      ev->subject, "policy_hash",
		      ev->policy_hash[0] ? ev->policy_hash : NULL, "detail",
		      detail, "hash", ev->hash);
	if (!j || json_array_append_new(p->list, j))
		return 1;
	p->last = ev->seq;
	p->n++;
	return 0;
}

int office_events(struct office *o, const struct store_event_filter *f,
		  json_t **out, struct qerr *e)
{
	struct events_page p = {0};
	int rc;

	assert(o && f && out);
	assert(f->limit >= 1 && f->limit <= STORE_EVENTS_MAX);
	*out = NULL;
	p.list = json_array();
	if (!p.list)
		return qerr_set(e, Q_ERR_NOMEM, NULL, "out of memory");
	rc = store_event_find(o->store, f, event_j, &p, e);
	if (!rc && (size_t)p.n != json_array_size(p.list))
		rc = qerr_set(e, Q_ERR_NOMEM, NULL, "out of memory");
	if (rc) {
		json_decref(p.list);
		return rc;
	}
	*out = json_pack("{s:o,s:o}", "events", p.list, "next_after",
			 p.n == f->limit ? json_integer(p.last) : json_null());
	return *out ? Q_OK : qerr_set(e, Q_ERR_NOMEM, NULL, "out of memory");
}

/* --- failed sign-ins -------------------------------------------------------- */

/* Cut s to fit n bytes (NUL included) at a UTF-8 character boundary. */
static void utf8_fit(char *out, size_t n, const char *s)
{
	size_t len;

	assert(out && n > 0 && s);
	snprintf(out, n, "%s", s);
	len = strlen(out);
	if (len < strlen(s))
		while (len > 0 && ((unsigned char)out[len] & 0xC0) == 0x80)
			out[--len] = '\0';
	/* out[len] is now the first byte cut, or the NUL: drop a lead byte
	 * whose continuation went. */
	if (len < strlen(s) && len > 0 && ((unsigned char)out[len - 1] & 0x80))
		out[--len] = '\0';
}

int office_sign_in_failed(struct office *o, const char *name, json_t *detail,
			  int64_t now, struct qerr *e)
{
	char subject[sizeof(((struct store_event *)0)->subject)];
	int rc;

	assert(o && name);
	assert(detail == NULL || json_is_object(detail));
	utf8_fit(subject, sizeof(subject), name);
	rc = office_begin(o, e);
	if (rc) {
		json_decref(detail);
		return rc;
	}
	rc = office_audit(o, "sign-in-failed", subject, NULL, "anonymous", now,
			  detail, e);
	if (!rc)
		rc = office_commit(o, e);
	if (rc)
		office_rollback(o);
	return rc;
}

/* --- replay as JSON --------------------------------------------------------- */

/* office_replay writes one line per difference, and indented lines that
 * say more about it; the sink keeps the first max of them, joined, and
 * counts the rest, so that its memory does not grow with the office. */
struct replay_sink {
	json_t *problems;
	long max;
	bool cut;
	char line[512];
	size_t len;
};

static void sink_line(struct replay_sink *k)
{
	const char *t = k->line;
	size_t n = json_array_size(k->problems);

	k->line[k->len] = '\0';
	k->len = 0;
	if (!*t)
		return;
	if (*t == ' ') {
		/* More about the last difference kept. */
		json_t *last = n ? json_array_get(k->problems, n - 1) : NULL;
		char joined[1024];

		while (*t == ' ')
			t++;
		if (!last || k->cut)
			return;
		snprintf(joined, sizeof(joined), "%s; %s",
			 json_string_value(last), t);
		json_array_set_new(k->problems, n - 1, json_string(joined));
		return;
	}
	if ((long)n >= k->max) {
		k->cut = true;
		return;
	}
	k->cut = false;
	json_array_append_new(k->problems, json_string(t));
}

static ssize_t sink_write(void *cookie, const char *buf, size_t size)
{
	struct replay_sink *k = cookie;

	for (size_t i = 0; i < size; i++) {
		if (buf[i] == '\n')
			sink_line(k);
		else if (k->len + 1 < sizeof(k->line))
			k->line[k->len++] = buf[i];
	}
	return (ssize_t)size;
}

int office_replay_json(struct office *o, long max, json_t **out, struct qerr *e)
{
	cookie_io_functions_t io = {.write = sink_write};
	struct replay_sink k = {0};
	long count = 0, differ;
	FILE *f;

	assert(o && out);
	assert(max >= 1);
	*out = NULL;
	k.max = max;
	k.problems = json_array();
	f = k.problems ? fopencookie(&k, "w", io) : NULL;
	if (!f) {
		json_decref(k.problems);
		return qerr_set(e, Q_ERR_NOMEM, NULL, "out of memory");
	}
	differ = office_replay(o, f, &count, e);
	fclose(f);
	if (k.len)
		sink_line(&k);
	if (differ < 0) {
		json_decref(k.problems);
		return e && e->code ? e->code : Q_ERR_IO;
	}
	*out = json_pack("{s:b,s:I,s:I,s:o,s:b}", "ok", differ == 0, "replayed",
			 (json_int_t)count, "differ", (json_int_t)differ,
			 "problems", k.problems, "cut",
			 differ > (long)json_array_size(k.problems));
	return *out ? Q_OK : qerr_set(e, Q_ERR_NOMEM, NULL, "out of memory");
}
