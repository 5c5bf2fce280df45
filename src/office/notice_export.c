/*
 * notice_export.c - a public notice (公示) written out for publication:
 * CSV, XLSX (libxlsxwriter) and a printable A4 page in Chinese. It reads
 * only what the store holds: the notice, the awards posted in it and
 * their applications; nothing is recomputed.
 */
#include "office/office_int.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

/* One award of the notice as published. */
struct notice_line {
	char id[64];
	char firm[256];
	char uscc[20];
	char measure[256];
	char amount[MONEY_TEXT_MAX];
	const char *outcome; /* static Chinese text */
	bool objection_open; /* an objection waits for a reviewer */
};

/* The notice, its program and its lines. */
struct notice_doc {
	struct store_notice n;
	const struct policy *p;
	struct notice_line *lines;
	size_t nlines;
	struct office *o;
	struct qerr *e;
	int rc;
};

/* The firm's name as it applied (applicant.name), "" when absent. */
static void firm_name(const char *json, char *out, size_t cap)
{
	json_t *root = json ? json_loads(json, 0, NULL) : NULL;
	const char *name = json_string_value(
		json_object_get(json_object_get(root, "applicant"), "name"));

	assert(out && cap > 0);
	snprintf(out, cap, "%s", name ? name : "");
	json_decref(root);
}

/* What became of an award in the notice, in the office's words; *held
 * tells whether an objection against it waits for a reviewer. */
static const char *outcome_of(struct office *o, const struct store_notice *n,
			      const struct store_app *a, bool *held,
			      struct qerr *e)
{
	struct store_objection ob;

	assert(o && n && a && held);
	*held = false;
	if (a->state == APP_REJECTED)
		return "异议成立，不予资助";
	if (a->state != APP_AWARDED)
		return "已撤销";
	if (a->paid > 0)
		return "已拨付";
	if (store_objection_open(o->store, a->id, &ob, e) == Q_OK) {
		*held = true;
		return "异议待决";
	}
	return n->closed_at ? "公示期满，准予拨付" : "公示中";
}

static int doc_line(void *arg, const char *app_id, money_t amount)
{
	struct notice_doc *d = arg;
	struct notice_line *l;
	struct store_app a;
	int m;

	assert(d && app_id);
	d->rc = store_app_get(d->o->store, app_id, &a, d->e);
	if (d->rc == Q_NONE)
		d->rc = qerr_set(d->e, Q_ERR_NOT_FOUND, "id",
				 "notice '%s' posts '%s', which is not stored",
				 d->n.id, app_id);
	if (d->rc)
		return 1;
	l = &d->lines[d->nlines++];
	snprintf(l->id, sizeof(l->id), "%s", a.id);
	snprintf(l->uscc, sizeof(l->uscc), "%s", a.uscc);
	firm_name(a.json, l->firm, sizeof(l->firm));
	m = policy_find_measure(d->p, a.measure, strlen(a.measure));
	snprintf(l->measure, sizeof(l->measure), "%s",
		 m >= 0 && d->p->measures[m].name ? d->p->measures[m].name
						  : a.measure);
	/* The amount as posted (an upheld objection zeroes the award
	 * later); a notice posted before schema 16 kept none, and shows the
	 * award, or the decision's amount once it was reversed. */
	money_format(amount > 0	     ? amount
		     : a.awarded > 0 ? a.awarded
				     : a.requested,
		     l->amount);
	l->outcome = outcome_of(d->o, &d->n, &a, &l->objection_open, d->e);
	store_app_release(&a);
	return 0;
}

static int doc_read(struct office *o, const char *id, struct notice_doc *d,
		    struct qerr *e)
{
	int rc;

	assert(o && id && d);
	memset(d, 0, sizeof(*d));
	d->o = o;
	d->e = e;
	rc = store_notice_get(o->store, id, &d->n, e);
	if (rc == Q_NONE)
		return qerr_set(e, Q_ERR_NOT_FOUND, "id",
				"id: no public notice '%.96s'", id);
	if (rc)
		return rc;
	d->p = office_policy_of(o, d->n.program);
	if (!d->p)
		return qerr_set(e, Q_ERR_UNKNOWN_PROGRAM, "program",
				"notice '%s': unknown program '%s'", id,
				d->n.program);
	d->lines = calloc(OFFICE_NOTICE_MAX, sizeof(*d->lines));
	if (!d->lines)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	rc = store_notice_awards(o->store, id, doc_line, d, e);
	if (!rc)
		rc = d->rc;
	return rc;
}

/* The program's document number (文号), "" when its policy names none. */
static const char *doc_number(const struct policy *p)
{
	assert(p);
	if (p->published_in < 0 || (size_t)p->published_in >= p->nsources)
		return "";
	return p->sources[p->published_in].document
		       ? p->sources[p->published_in].document
		       : "";
}

static const char *const columns[] = {
	"序号",	    "申请编号",		"申请单位", "统一社会信用代码",
	"支持措施", "拟资助金额（元）", "状态",
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

/* --- CSV ------------------------------------------------------------------- */

static void csv_field(FILE *f, const char *s, bool last)
{
	assert(f && s);
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputs(last ? "\r\n" : ",", f);
}

static void write_csv(FILE *f, const struct notice_doc *d)
{
	assert(f && d);
	for (size_t c = 0; c < NCOLUMNS; c++)
		csv_field(f, columns[c], c + 1 == NCOLUMNS);
	for (size_t i = 0; i < d->nlines; i++) {
		const struct notice_line *l = &d->lines[i];
		char no[24];

		snprintf(no, sizeof(no), "%zu", i + 1);
		csv_field(f, no, false);
		csv_field(f, l->id, false);
		csv_field(f, l->firm, false);
		csv_field(f, l->uscc, false);
		csv_field(f, l->measure, false);
		csv_field(f, l->amount, false);
		csv_field(f, l->outcome, true);
	}
}

/* --- HTML ------------------------------------------------------------------ */

static void html_text(FILE *f, const char *s)
{
	assert(f && s);
	for (; *s; s++) {
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

/* The date as the office writes it: 2025年10月9日. */
static void date_zh(FILE *f, qdate t)
{
	int y, m, dd;

	date_to_ymd(t, &y, &m, &dd);
	fprintf(f, "%d年%d月%d日", y, m, dd);
}

static void write_html(FILE *f, const struct notice_doc *d)
{
	const struct policy *p = d->p;

	assert(f && d && p);
	fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n<title>",
	      f);
	html_text(f, p->name ? p->name : p->program);
	fputs("拟资助名单公示</title>\n<style>\n"
	      "@page { size: A4; margin: 20mm 18mm; }\n"
	      "body { font-family: \"Noto Serif CJK SC\", \"Noto Sans CJK SC\", serif;"
	      " font-size: 11pt; color: #000; max-width: 180mm; margin: 0 auto; }\n"
	      "h1 { font-size: 18pt; text-align: center; margin: 0 0 4mm; }\n"
	      "p.no { text-align: center; margin: 0 0 6mm; }\n"
	      "table { width: 100%; border-collapse: collapse; }\n"
	      "th, td { border: 1px solid #000; padding: 1.5mm; }\n"
	      "td.amount { text-align: right; white-space: nowrap; }\n"
	      "thead { display: table-header-group; }\n"
	      "tr { page-break-inside: avoid; }\n"
	      "p.sign { text-align: right; margin-top: 10mm; }\n"
	      "</style>\n</head>\n<body>\n<h1>",
	      f);
	html_text(f, p->name ? p->name : p->program);
	fputs("拟资助名单公示</h1>\n<p class=\"no\">", f);
	html_text(f, doc_number(p));
	fprintf(f, "　公示编号：%s</p>\n<p>根据", d->n.id);
	if (*doc_number(p)) {
		fputs("《", f);
		html_text(f, p->name ? p->name : p->program);
		fputs("》（", f);
		html_text(f, doc_number(p));
		fputs("）", f);
	} else {
		fputs("本项目申报要求", f);
	}
	fputs("，现将拟资助名单予以公示。公示期为", f);
	date_zh(f, d->n.opened_on);
	fputs("至", f);
	date_zh(f, d->n.ends_on);
	fprintf(f,
		"（%d个工作日）。公示期内，对名单有异议的，可向发布单位书面提出，并说明理由。</p>\n"
		"<table>\n<thead><tr>",
		d->n.working_days);
	for (size_t c = 0; c < NCOLUMNS; c++)
		fprintf(f, "<th>%s</th>", columns[c]);
	fputs("</tr></thead>\n<tbody>\n", f);
	for (size_t i = 0; i < d->nlines; i++) {
		const struct notice_line *l = &d->lines[i];

		fprintf(f, "<tr><td>%zu</td><td>%s</td><td>", i + 1, l->id);
		html_text(f, l->firm);
		fprintf(f, "</td><td>%s</td><td>", l->uscc);
		html_text(f, l->measure);
		fprintf(f,
			"</td><td class=\"amount\">%s</td><td>%s</td></tr>\n",
			l->amount, l->outcome);
	}
	fputs("</tbody>\n</table>\n<p class=\"sign\">", f);
	html_text(f, p->issuer ? p->issuer : "");
	fputs("<br>", f);
	date_zh(f, d->n.opened_on);
	fputs("</p>\n</body>\n</html>\n", f);
}

/* --- XLSX ------------------------------------------------------------------ */

static int write_xlsx(const char *path, const struct notice_doc *d,
		      struct qerr *e)
{
	lxw_workbook *wb = workbook_new(path);
	lxw_worksheet *ws;
	lxw_error err = LXW_NO_ERROR;
	char title[512];
	int row = 0;

	assert(path && d);
	if (!wb)
		return qerr_set(e, Q_ERR_IO, "out", "%s: cannot create", path);
	ws = workbook_add_worksheet(wb, "公示名单");
	snprintf(title, sizeof(title), "%s拟资助名单公示（%s）",
		 d->p->name ? d->p->name : d->p->program, d->n.id);
	if (ws)
		worksheet_write_string(ws, row++, 0, title, NULL);
	for (size_t c = 0; ws && c < NCOLUMNS; c++)
		worksheet_write_string(ws, row, (lxw_col_t)c, columns[c], NULL);
	row++;
	/* Amounts are written as text to the fen: the library keeps money
	 * in integers, and a spreadsheet's binary fraction is not a fen. */
	for (size_t i = 0; ws && i < d->nlines; i++, row++) {
		const struct notice_line *l = &d->lines[i];
		char no[24];

		snprintf(no, sizeof(no), "%zu", i + 1);
		worksheet_write_string(ws, row, 0, no, NULL);
		worksheet_write_string(ws, row, 1, l->id, NULL);
		worksheet_write_string(ws, row, 2, l->firm, NULL);
		worksheet_write_string(ws, row, 3, l->uscc, NULL);
		worksheet_write_string(ws, row, 4, l->measure, NULL);
		worksheet_write_string(ws, row, 5, l->amount, NULL);
		worksheet_write_string(ws, row, 6, l->outcome, NULL);
	}
	err = workbook_close(wb);
	if (!ws)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	if (err != LXW_NO_ERROR)
		return qerr_set(e, Q_ERR_IO, "out", "%s: %s", path,
				lxw_strerror(err));
	return Q_OK;
}

int office_notice_export(struct office *o, const char *id, const char *format,
			 const char *path, struct qerr *e)
{
	struct notice_doc d;
	FILE *f;
	int rc;

	assert(o && id && format && path);
	if (strcmp(format, "csv") && strcmp(format, "xlsx") &&
	    strcmp(format, "html"))
		return qerr_set(e, Q_ERR_INVALID, "format",
				"format: '%.16s' is not csv, xlsx or html",
				format);
	rc = doc_read(o, id, &d, e);
	if (!rc && !strcmp(format, "xlsx")) {
		rc = write_xlsx(path, &d, e);
	} else if (!rc) {
		f = fopen(path, "w");
		if (!f) {
			rc = qerr_set(e, Q_ERR_IO, "out", "%s: %s", path,
				      strerror(errno));
		} else {
			if (!strcmp(format, "csv"))
				write_csv(f, &d);
			else
				write_html(f, &d);
			if (ferror(f) | fclose(f))
				rc = qerr_set(e, Q_ERR_IO, "out",
					      "%s: cannot write", path);
		}
	}
	free(d.lines);
	return rc;
}

/* --- as JSON --------------------------------------------------------------- */

static json_t *notice_j(const struct store_notice *n)
{
	char d1[DATE_TEXT_MAX], d2[DATE_TEXT_MAX];

	assert(n);
	return json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:b,s:s}", "id", n->id,
			 "program", n->program, "opened_on",
			 date_format(n->opened_on, d1), "ends_on",
			 date_format(n->ends_on, d2), "working_days",
			 n->working_days, "opened_by", n->opened_by, "closed",
			 n->closed_at != 0, "closed_by", n->closed_by);
}

static int list_notice(void *arg, const struct store_notice *n)
{
	json_t *arr = arg;

	assert(arr && n);
	return json_array_append_new(arr, notice_j(n)) ? 1 : 0;
}

int office_notices_json(struct office *o, const char *id, json_t **out,
			struct qerr *e)
{
	struct notice_doc d;
	json_t *awards;
	int rc;

	assert(o && out);
	*out = NULL;
	if (!id) {
		json_t *arr = json_array();

		if (!arr)
			return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
		rc = store_notices_each(o->store, list_notice, NULL, NULL, arr,
					e);
		if (rc)
			json_decref(arr);
		else
			*out = arr;
		return rc;
	}
	rc = doc_read(o, id, &d, e);
	if (!rc) {
		*out = notice_j(&d.n);
		awards = json_array();
		for (size_t i = 0; i < d.nlines; i++) {
			const struct notice_line *l = &d.lines[i];

			json_array_append_new(
				awards,
				json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b}", "id",
					  l->id, "name", l->firm, "uscc",
					  l->uscc, "measure", l->measure,
					  "amount", l->amount, "outcome",
					  l->outcome, "objection_open",
					  l->objection_open));
		}
		json_object_set_new(*out, "awards", awards);
	}
	free(d.lines);
	return rc;
}
