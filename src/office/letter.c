/*
 * letter.c - the letters an office sends an applicant (decision, rejection,
 * award, clawback) as printable A4 HTML in Chinese. A letter is a view of
 * what is stored: the application as view_app shows it (its figures, kept
 * equal to the ledger by `ledger check`, its stored decision and its
 * audited history). Nothing is decided again.
 */
#include "office/office_int.h"

#include <assert.h>
#include <string.h>

#include "office/view.h"

static void esc(FILE *f, const char *s)
{
	assert(f);
	for (; s && *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else
			fputc(*s, f);
	}
}

static const char *str(json_t *j, const char *key)
{
	const char *v = json_string_value(json_object_get(j, key));

	return v ? v : "";
}

/* An application's state in the office's words. */
static const char *state_zh(const char *state)
{
	static const char *const names[][2] = {
		{"reserved", "已受理，待审核"},
		{"waitlisted", "符合条件，资金额度不足，候补"},
		{"queued", "符合条件，待按比例分配"},
		{"awarded", "予以资助"},
		{"rejected", "不予资助"},
		{"ineligible", "不符合申报条件"},
		{"withdrawn", "已撤回"},
		{"expired", "已过期"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(state, names[i][0]))
			return names[i][1];
	return state;
}

/* The detail of the latest audited event action in the history, or NULL. */
static json_t *last_event(json_t *app, const char *action)
{
	json_t *hist = json_object_get(app, "history"), *found = NULL, *ev;
	size_t i;

	json_array_foreach(hist, i, ev)
	{
		if (!strcmp(str(ev, "action"), action))
			found = json_object_get(ev, "detail");
	}
	return found;
}

/* The decision's reasons and flags, in words: the Chinese of a rule
 * (says_zh) where the policy has it, otherwise what the engine renders. */
static void reasons(FILE *f, json_t *app, const char *why)
{
	json_t *d = json_object_get(app, "decision"), *r;
	size_t i, n = 0;

	fputs("<ol class=\"reasons\">\n", f);
	if (why && *why) {
		fputs("<li>审核意见：", f);
		esc(f, why);
		fputs("</li>\n", f);
		n++;
	}
	json_array_foreach(json_object_get(d, "reasons"), i, r)
	{
		fputs("<li>", f);
		esc(f, *str(r, "says_zh") ? str(r, "says_zh") : str(r, "says"));
		fputs("（规则 ", f);
		esc(f, str(r, "rule"));
		fputs("）</li>\n", f);
		n++;
	}
	json_array_foreach(json_object_get(d, "flags"), i, r)
	{
		fputs("<li>", f);
		esc(f, *str(r, "words") ? str(r, "words") : str(r, "says"));
		fputs("（规则 ", f);
		esc(f, str(r, "rule"));
		fputs("）</li>\n", f);
		n++;
	}
	if (n == 0)
		fputs("<li>符合本项目申报条件。</li>\n", f);
	fputs("</ol>\n", f);
}

static void date_zh(FILE *f, int64_t at)
{
	int y, m, d;

	date_to_ymd(date_of_instant(at), &y, &m, &d);
	fprintf(f, "%d年%d月%d日", y, m, d);
}

static const char *doc_number(const struct policy *p)
{
	if (p->published_in < 0 || (size_t)p->published_in >= p->nsources ||
	    !p->sources[p->published_in].document)
		return "";
	return p->sources[p->published_in].document;
}

/* Which letters there are, their titles, and what each requires of the
 * application's stored figures. */
static const char *const kinds[][2] = {
	{"decision", "申请审核结果通知书"},
	{"rejection", "不予资助通知书"},
	{"award", "资助决定通知书"},
	{"clawback", "追回资助资金通知书"},
};

static int fits(json_t *app, int k, const char *id, struct qerr *e)
{
	const char *state = str(app, "state");

	if (k == 1 && strcmp(state, "rejected") && strcmp(state, "ineligible"))
		return qerr_set(
			e, Q_ERR_CONFLICT, "kind",
			"application '%s' is %s: a rejection letter is for a rejected or ineligible application",
			id, state);
	if (k == 2 && strcmp(state, "awarded"))
		return qerr_set(
			e, Q_ERR_CONFLICT, "kind",
			"application '%s' is %s: an award letter is for an awarded application",
			id, state);
	if (k == 3 && !strcmp(str(app, "recovered"), "0.00"))
		return qerr_set(
			e, Q_ERR_CONFLICT, "kind",
			"application '%s' has had nothing clawed back: no clawback letter",
			id);
	return Q_OK;
}

static void head(FILE *f, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n<title>",
	      f);
	esc(f, title);
	fputs("</title>\n<style>\n"
	      "@page { size: A4; margin: 25mm 20mm; }\n"
	      "body { font-family: \"Noto Serif CJK SC\", \"Noto Sans CJK SC\", serif;"
	      " font-size: 12pt; line-height: 1.8; color: #000; max-width: 170mm;"
	      " margin: 0 auto; }\n"
	      "h1 { font-size: 20pt; text-align: center; margin: 0 0 2mm; }\n"
	      "p.no { text-align: center; margin: 0 0 8mm; }\n"
	      "p.body { text-indent: 2em; }\n"
	      "table.figures { border-collapse: collapse; margin: 4mm 0; }\n"
	      "table.figures th, table.figures td { border: 1px solid #000;"
	      " padding: 1mm 3mm; }\n"
	      "table.figures td { text-align: right; }\n"
	      "p.sign { text-align: right; margin-top: 14mm; }\n"
	      "</style>\n</head>\n<body>\n",
	      f);
}

static void figure(FILE *f, const char *label, const char *amount)
{
	fputs("<tr><th>", f);
	fputs(label, f);
	fputs("</th><td>", f);
	esc(f, amount);
	fputs("</td></tr>\n", f);
}

static void body(FILE *f, json_t *app, int k, const struct policy *p,
		 const char *measure)
{
	json_t *rej = last_event(app, "reject"),
	       *up = last_event(app, "uphold");
	json_t *claw = last_event(app, "clawback");

	fputs("<p class=\"body\">你单位提交的", f);
	esc(f, measure);
	fputs("申请（申请编号：", f);
	esc(f, str(app, "id"));
	fputs("，受理日期：", f);
	fprintf(f, "%.10s", str(app, "received_at"));
	fputs("），", f);
	if (k == 0) {
		fputs("经审核，结果为：<b>", f);
		fputs(state_zh(str(app, "state")), f);
		fputs("</b>。理由如下：</p>\n", f);
		reasons(f, app, str(rej ? rej : up, "why"));
	} else if (k == 1) {
		fputs("经审核，<b>不予资助</b>。理由如下：</p>\n", f);
		reasons(f, app, str(rej ? rej : up, "why"));
	} else if (k == 2) {
		fputs("经审核，决定予以资助，核定资助金额为人民币<b>", f);
		esc(f, str(app, "awarded"));
		fputs("</b>元。资金在公示期满且无异议后按规定拨付。</p>\n", f);
	} else {
		fputs("经核查，依规追回你单位已获拨付的资助资金人民币<b>", f);
		esc(f, str(app, "recovered"));
		fputs("</b>元。</p>\n", f);
		if (claw && *str(claw, "why")) {
			fputs("<p class=\"body\">追回理由：", f);
			esc(f, str(claw, "why"));
			fputs("</p>\n", f);
		}
	}
	fputs("<table class=\"figures\">\n", f);
	figure(f, "申请资助金额（元）", str(app, "requested"));
	figure(f, "核定资助金额（元）", str(app, "awarded"));
	figure(f, "已拨付金额（元）", str(app, "paid"));
	figure(f, "已追回金额（元）", str(app, "recovered"));
	fputs("</table>\n", f);
	(void)p;
}

int office_letter(struct office *o, const char *id, const char *kind, FILE *f,
		  struct qerr *e)
{
	const struct policy *p;
	json_t *app = NULL;
	const char *measure;
	char title[256];
	int k = -1, m, rc;

	assert(o && id && kind && f);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kind, kinds[i][0]))
			k = (int)i;
	if (k < 0)
		return qerr_set(
			e, Q_ERR_INVALID, "kind",
			"kind: '%.32s' is not decision, rejection, award or clawback",
			kind);
	rc = view_app(o, id, &app, e);
	if (rc == Q_NONE)
		return qerr_set(e, Q_ERR_NOT_FOUND, "id",
				"id: no application '%.64s'", id);
	if (rc)
		return rc;
	p = office_policy_of(o, str(app, "program"));
	if (!p) {
		rc = qerr_set(e, Q_ERR_UNKNOWN_PROGRAM, "program",
			      "unknown program '%s'", str(app, "program"));
		goto out;
	}
	if ((rc = fits(app, k, id, e)))
		goto out;
	m = policy_find_measure(p, str(app, "measure"),
				strlen(str(app, "measure")));
	measure = m >= 0 && p->measures[m].name ? p->measures[m].name
						: str(app, "measure");
	snprintf(title, sizeof(title), "%s", kinds[k][1]);
	head(f, title);
	fputs("<h1>", f);
	esc(f, title);
	fputs("</h1>\n<p class=\"no\">", f);
	esc(f, p->name ? p->name : p->program);
	if (*doc_number(p)) {
		fputs("（", f);
		esc(f, doc_number(p));
		fputs("）", f);
	}
	fputs("</p>\n<p>", f);
	esc(f, str(app, "name"));
	fputs("（统一社会信用代码：", f);
	esc(f, str(app, "uscc"));
	fputs("）：</p>\n", f);
	body(f, app, k, p, measure);
	fputs("<p class=\"body\">依据《", f);
	esc(f, p->name ? p->name : p->program);
	fputs("》", f);
	if (*doc_number(p)) {
		fputs("（", f);
		esc(f, doc_number(p));
		fputs("）", f);
	}
	fputs("办理。如对本通知有异议，可自收到之日起依法申请行政复议或提起行政诉讼。</p>\n"
	      "<p class=\"sign\">",
	      f);
	esc(f, p->issuer ? p->issuer : "");
	fputs("<br>", f);
	date_zh(f, json_integer_value(json_object_get(app, "updated_at")));
	fputs("</p>\n</body>\n</html>\n", f);
	if (ferror(f))
		rc = qerr_set(e, Q_ERR_IO, "out", "cannot write the letter");
out:
	json_decref(app);
	return rc;
}
